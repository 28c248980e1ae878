import { onClosedStdout } from './closedPipe.js';
import { Command, CommanderError } from 'commander';
import { buildDaemonCommand } from './daemonCommand.js';
import { buildExportCommand } from './exportCommand.js';
import { buildGenerateCommand } from './generateCommand.js';
import { buildHistoryCommands } from './historyCommand.js';
import { buildInitCommand } from './initCommand.js';
import { buildLogCommand } from './logCommand.js';
import { buildQueryCommands } from './queryCommands.js';
import { buildReceiveCommand } from './receiveCommand.js';
import { buildWorkflowViewCommands } from './workflowViewCommands.js';
import { buildMcpCommand } from './mcpCommand.js';
import { buildReportCommand } from './reportCommand.js';
import { buildShipCommand } from './shipCommand.js';
import { buildValidateCommand } from './validateCommand.js';
import { withConventions } from './common.js';
import { DEBUG_ENV, failureMessage } from './failureMessage.js';

/** Argument parsing and exit codes only; every command lives in src/cli/. */
export function buildProgram(): Command {
  const program = new Command('oak-telemetry')
    .description('Multi-agent AI telemetry: log agent runs, then ask which agent to use, how workflows go and where time is lost.')
    .version('0.1.0')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  oak-telemetry stats --dir ./telemetry\n' +
        '  oak-telemetry best-agent --task "build payment API endpoint" --all\n' +
        '  oak-telemetry log invocation --agent backend-architect --agent-type development --task "add login"\n' +
        '  oak-telemetry validate --dir ./telemetry\n' +
        '  oak-telemetry init claude-code            # log every Claude Code subagent run through hooks\n' +
        '\nA failure is one line on stderr and exit 1 (2 for a wrong command line); ' +
        `${DEBUG_ENV}=1 adds the stack of an unexpected error.\n`,
    );
  for (const cmd of buildQueryCommands()) program.addCommand(cmd);
  for (const cmd of buildWorkflowViewCommands()) program.addCommand(cmd);
  for (const cmd of buildHistoryCommands()) program.addCommand(cmd);
  program.addCommand(buildReportCommand());
  program.addCommand(buildValidateCommand());
  program.addCommand(buildExportCommand());
  program.addCommand(buildLogCommand());
  program.addCommand(buildInitCommand());
  program.addCommand(buildDaemonCommand());
  program.addCommand(buildMcpCommand('0.1.0'));
  program.addCommand(buildShipCommand());
  program.addCommand(buildReceiveCommand());
  program.addCommand(buildGenerateCommand());
  return withConventions(program);
}

/** Runs every command but `hook` (see src/cli.ts); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  onClosedStdout(argv[2] === 'daemon' ? 'ignore' : 'exit');
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const { text, exitCode } = failureMessage(error);
    process.stderr.write(text);
    return exitCode;
  }
}

