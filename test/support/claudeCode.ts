/**
 * The real `claude` CLI in the tests: the runner itself (scripts/support/claudeCode.ts, shared
 * with `npm run demo:claude-code`), plus what only tests need: temp projects removed after each
 * test, init through the test's CLI runner, hook commands that dump the raw payloads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLAUDE_BIN, createClaudeProject, shellQuote, type AgentDefinition, type ClaudeProject } from '../../scripts/support/claudeCode.js';
import { runCli } from './cliRunner.js';
import type { TempDirs } from './tempDirs.js';
import type { ModelCall } from './fakeAnthropic.js';

export * from '../../scripts/support/claudeCode.js';

/** Why the real-CLI tests skip, or undefined when they can run. */
export const claudeMissing: string | undefined = fs.existsSync(CLAUDE_BIN)
  ? undefined
  : `the claude CLI is not installed at ${CLAUDE_BIN} (npm devDependency @anthropic-ai/claude-code)`;

/** A temp project (removed with `temp`) with `.claude/agents/<name>.md` for each definition, and its isolated dirs. */
export function makeClaudeProject(temp: TempDirs, agents: readonly AgentDefinition[] = []): ClaudeProject {
  return createClaudeProject(temp.make('oak-claude-'), agents);
}

/**
 * A hook command that saves each payload to its own file in `dir` (named by arrival time in ns
 * and pid: hooks run concurrently, so one shared file could interleave them).
 */
export function dumpCommand(dir: string): string {
  return `cat > ${shellQuote(dir)}/$(date +%s%N)-$$.json`;
}

/** The payloads `dumpCommand` saved in `dir`, in arrival order. */
export function readDumpedPayloads(dir: string): Record<string, unknown>[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort((a, b) => Number(BigInt(a.split('-')[0]!) - BigInt(b.split('-')[0]!)) || a.localeCompare(b))
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Record<string, unknown>);
}

/** `oak-telemetry init claude-code --project <root> --dir <dir>` with the built CLI; its stdout. */
export function initHooks(project: ClaudeProject, telemetryDir: string): string {
  const r = runCli(['init', 'claude-code', '--project', project.root, '--dir', telemetryDir], { cwd: project.root });
  if (r.code !== 0) throw new Error(`init claude-code failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Points every hook `init` wrote at `command` instead (e.g. dumpCommand), keeping the marker and
 * the matchers: the hooks fire exactly as installed, and the test sees the raw payloads.
 */
export function replaceOwnHookCommands(project: ClaudeProject, command: string): void {
  const file = path.join(project.root, '.claude', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks: Record<string, { hooks: { command: string }[] }[]> };
  for (const groups of Object.values(settings.hooks)) {
    for (const group of groups) {
      for (const hook of group.hooks) {
        const marker = hook.command.indexOf(' # oak-telemetry:');
        if (marker >= 0) hook.command = command + hook.command.slice(marker);
      }
    }
  }
  fs.writeFileSync(file, JSON.stringify(settings, null, 2) + '\n');
}

/** The model's call of the Agent tool; `background: false` runs the subagent in the foreground. */
export const agentCall = (description: string, subagentType: string, background = true) => ({
  name: 'Agent',
  input: { description, prompt: `${description}, then report back.`, subagent_type: subagentType, ...(background ? {} : { run_in_background: false }) },
});

/** True once this agent's conversation got the result of the tool call it made last. */
export function answered(call: ModelCall): boolean {
  const last = call.body.messages?.at(-1);
  return last !== undefined && Array.isArray(last.content) && last.content.some((b) => b.type === 'tool_result');
}
