import { Command, Option } from 'commander';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import type { TelemetryLogger } from '../logger/telemetryLogger.js';
import { UsageError } from '../errors.js';
import {
  dirOption,
  parseBoolean,
  parseList,
  parseNonNegative,
  parseNumber,
  printLine,
  resolveDir,
  withConventions,
} from './common.js';

type Opts = Record<string, string | undefined>;

/** `log <kind>`: appends one telemetry record, in the Python OaK logger's format, to --dir. */
export function buildLogCommand(): Command {
  const log = new Command('log').description(
    'append telemetry records (append-only; safe with several concurrent writers). ' +
      'Session id: $OAK_SESSION_ID, else a new one per run; workflow id default: $OAK_WORKFLOW_ID',
  );

  log
    .command('workflow-start')
    .description('record the start of a workflow; prints its workflow id')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .option('--workflow-id <id>', 'workflow id (default: $OAK_WORKFLOW_ID, else a new "wf-<uuid>")')
    .requiredOption('--project <name>', 'project name')
    .requiredOption('--plan <agents>', 'planned agents, comma-separated (e.g. planner,coder,tester)')
    .option('--estimated-duration <seconds>', 'estimated duration in seconds (default: none)')
    .action(async (opts: Opts) => {
      const id = (await logger(opts)).logWorkflowStart({
        workflowId: opts.workflowId,
        projectName: opts.project!,
        agentPlan: parseList(opts.plan!),
        estimatedDuration: opts.estimatedDuration === undefined ? null : parseNonNegative('--estimated-duration', opts.estimatedDuration),
      });
      printLine(id);
    });

  log
    .command('invocation')
    .description('record that an agent was invoked (status "unknown"); prints only the new invocation id')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .requiredOption('--agent <name>', 'agent name (e.g. backend-architect)')
    .requiredOption('--agent-type <type>', 'agent type (e.g. development)')
    .requiredOption('--task <text>', 'task description')
    .option('--task-type <type>', 'task type, stored as state_features.task.type')
    .option('--workflow-id <id>', 'workflow this invocation belongs to (default: $OAK_WORKFLOW_ID)')
    .option('--parent-invocation-id <id>', 'invocation that spawned this one')
    .action(async (opts: Opts) => {
      const id = (await logger(opts)).logInvocation({
        agentName: opts.agent!,
        agentType: opts.agentType!,
        taskDescription: opts.task!,
        taskType: opts.taskType,
        workflowId: opts.workflowId,
        parentInvocationId: opts.parentInvocationId,
      });
      printLine(id);
    });

  log
    .command('update')
    .description('record the outcome of an invocation (appends the full record again; never rewrites the file)')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .requiredOption('--invocation-id <id>', 'id printed by "log invocation"')
    .requiredOption('--duration <seconds>', 'how long the invocation took, in seconds')
    .addOption(new Option('--status <status>', 'outcome').makeOptionMandatory().choices(['success', 'failure', 'partial']))
    .option('--error <text>', 'error message (for failures)')
    .action(async (opts: Opts) => {
      (await logger(opts)).updateInvocation(opts.invocationId!, {
        durationSeconds: parseNonNegative('--duration', opts.duration!),
        status: opts.status as 'success' | 'failure' | 'partial',
        errorMessage: opts.error,
      });
    });

  log
    .command('metric')
    .description('record feedback on an invocation: success and a 1-5 quality rating')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .requiredOption('--invocation-id <id>', 'invocation the feedback is about')
    .requiredOption('--success <bool>', 'true or false')
    .requiredOption('--quality <rating>', 'quality rating, an integer from 1 to 5')
    .option('--feedback-source <source>', 'who gave the feedback', 'human')
    .option('--notes <text>', 'free-form feedback notes')
    .action(async (opts: Opts) => {
      const success = parseBoolean('--success', opts.success!);
      const quality = parseNumber('--quality', opts.quality!);
      if (!Number.isInteger(quality) || quality < 1 || quality > 5) {
        throw new UsageError(`--quality must be an integer from 1 to 5, got ${JSON.stringify(opts.quality)}`);
      }
      (await logger(opts)).logSuccessMetric({
        invocationId: opts.invocationId!,
        success,
        qualityRating: quality,
        feedbackSource: opts.feedbackSource,
        feedbackNotes: opts.notes,
      });
    });

  log
    .command('handoff')
    .description('record that one agent handed work to another within a workflow')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .option('--workflow-id <id>', 'workflow id (default: $OAK_WORKFLOW_ID; one of them is required)')
    .requiredOption('--from <agent>', 'agent handing off')
    .requiredOption('--to <agent>', 'agent receiving the work')
    .option('--artifacts <paths>', 'artifacts passed along, comma-separated', '')
    .action(async (opts: Opts) => {
      (await logger(opts)).logAgentHandoff({
        workflowId: opts.workflowId,
        fromAgent: opts.from!,
        toAgent: opts.to!,
        artifacts: parseList(opts.artifacts ?? ''),
      });
    });

  log
    .command('workflow-complete')
    .description('record the end of a workflow')
    .addOption(dirOption())
    .addOption(maxLineBytesOption())
    .option('--workflow-id <id>', 'workflow id (default: $OAK_WORKFLOW_ID; one of them is required)')
    .requiredOption('--duration <seconds>', 'total duration in seconds')
    .requiredOption('--success <bool>', 'true or false')
    .requiredOption('--agents <agents>', 'agents executed, comma-separated')
    .action(async (opts: Opts) => {
      const durationSeconds = parseNonNegative('--duration', opts.duration!);
      const success = parseBoolean('--success', opts.success!);
      (await logger(opts)).logWorkflowComplete({
        workflowId: opts.workflowId,
        durationSeconds,
        success,
        agentsExecuted: parseList(opts.agents!),
      });
    });

  return withConventions(log);
}

/** Loaded when a record is written: the other commands do not pay for the writer. */
async function logger(opts: Opts): Promise<TelemetryLogger> {
  const { TelemetryLogger } = await import('../logger/telemetryLogger.js');
  return new TelemetryLogger({ dir: resolveDir(opts.dir), maxLineBytes: maxLineBytes(opts.maxLineBytes) });
}

/** The readers' limit: the daemon reads it from $OAK_TELEMETRY_MAX_LINE_BYTES too. */
function maxLineBytesOption(): Option {
  return new Option(
    '--max-line-bytes <n>',
    `refuse a record longer than this many bytes, which readers would reject (default: $OAK_TELEMETRY_MAX_LINE_BYTES, else ${DEFAULT_MAX_LINE_BYTES})`,
  );
}

function maxLineBytes(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [source, raw] = flag !== undefined ? ['--max-line-bytes', flag] : ['$OAK_TELEMETRY_MAX_LINE_BYTES', env.OAK_TELEMETRY_MAX_LINE_BYTES];
  if (raw === undefined || raw === '') return DEFAULT_MAX_LINE_BYTES;
  const value = parseNumber(source, raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${source} must be a whole number >= 1, got ${JSON.stringify(raw)}`);
  return value;
}
