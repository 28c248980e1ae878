import path from 'node:path';
import { decodeText } from '../decode/decodeLine.js';
import { SOURCE_FILES } from '../domain/sources.js';
import { appendLine } from '../io/appendOnlyWriter.js';
import { agentCategory } from '../intake/claudeCode/agentCategory.js';
import { decodeHookPayload, type HookPayload } from '../intake/claudeCode/hookPayload.js';
import { logHookError } from '../intake/claudeCode/hookErrorLog.js';
import { namesInHead, readPayload } from '../intake/claudeCode/hookStdin.js';
import type { KeyedRecord } from '../intake/claudeCode/hookRecords.js';
import { sessionStore } from '../intake/claudeCode/sessionStore.js';
import { markWritten, translateHook } from '../intake/claudeCode/translateHook.js';
import { toPythonJson } from '../logger/pythonJson.js';

/**
 * `oak-telemetry hook`: what Claude Code's hooks run. One payload on stdin, records appended to
 * the telemetry dir. It never hurts the agent: exit 0 and nothing on stdout (Claude Code acts on
 * a hook's stdout JSON) whatever happens; what goes wrong goes to <stateDir>/hook-errors.jsonl.
 * Loaded by src/cli.ts without commander or anything else a query needs: it runs on every
 * subagent event, so its start-up is the cost.
 */

const HELP = `Usage: oak-telemetry hook [options]

Reads one Claude Code hook payload (JSON) on stdin and appends telemetry records:
an invocation per subagent run, a workflow per user prompt, a hand-off per delegation.
Always exits 0 and prints nothing on stdout; errors go to <state-dir>/hook-errors.jsonl.
Installed by "oak-telemetry init claude-code"; see docs/claude-code.md.

Options:
  --dir <path>        telemetry directory (default: $OAK_TELEMETRY_DIR, else ./telemetry, as every command)
  --state-dir <path>  where per-session state and hook-errors.jsonl live
                      (default: $OAK_TELEMETRY_STATE_DIR, else <dir>/.oak-telemetry)
  -h, --help          display help for command
`;

interface Dirs {
  readonly dir: string;
  readonly stateDir: string;
}

export async function runHookCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags = parseFlags(args);
  const dirs = await resolveDirs(flags);
  try {
    const payload = readPayload();
    if (payload.type === 'read') runHook(payload.text, dirs.value, Date.now() * 1000);
    else logHookError(dirs.value.stateDir, { ...namesInHead(payload.head), error: `payload over ${payload.maxBytes} bytes: not read, no records written` });
  } catch (err) {
    logHookError(dirs.value.stateDir, { event: null, sessionId: null, error: `unexpected: ${errorText(err)}` });
  }
  if (dirs.error !== null) logHookError(dirs.value.stateDir, { event: null, sessionId: null, error: dirs.error });
  return 0;
}

/** One payload in, its records appended; every failure is logged, none thrown. */
export function runHook(text: string, dirs: Dirs, nowUs: number): void {
  const decoded = decodeHookPayload(text);
  if (decoded.type === 'ignored') return;
  if (decoded.type === 'rejected') {
    logHookError(dirs.stateDir, { event: decoded.event, sessionId: decoded.sessionId, error: `payload rejected: ${decoded.reason}` });
    return;
  }
  const payload = decoded.payload;
  const fail = (error: string) => logHookError(dirs.stateDir, { event: payload.event, sessionId: payload.sessionId, error });
  const projectDir = process.env.CLAUDE_PROJECT_DIR || payload.cwd;
  try {
    const warnings = sessionStore(dirs.stateDir).update(payload.sessionId, (state) => {
      const { records, done } = translateHook(state, payload, {
        nowUs,
        projectName: projectDir ? path.basename(projectDir) : 'unknown',
        category: agentCategory(subagentTypeOf(payload), projectDir ?? null),
      });
      const failure = appendAll(dirs.dir, records, (r) => markWritten(state.emitted, r));
      if (failure !== null) fail(failure);
      // Kept until the records are out: the next hook of the session writes them again.
      return { remove: done && failure === null };
    });
    for (const w of warnings) fail(w);
  } catch (err) {
    fail(`session state in ${dirs.stateDir}: ${errorText(err)}`);
  }
}

function subagentTypeOf(p: HookPayload): string | null {
  if (p.event === 'PreToolUse' || p.event === 'PostToolUse' || p.event === 'PostToolUseFailure') return p.input.subagentType;
  if (p.event === 'SubagentStart' || p.event === 'SubagentStop' || p.event === 'StopFailure') return p.agentType;
  return null;
}

/** Appends in order through the append-only writer; stops at the first failure and says why. */
function appendAll(dir: string, records: readonly KeyedRecord[], written: (r: KeyedRecord) => void): string | null {
  for (const r of records) {
    const file = path.join(dir, SOURCE_FILES[r.file]);
    const line = toPythonJson(r.record);
    // The readers' own decode: a record they would reject is not written (and says why).
    const check = decodeText(r.file, line);
    if (check.type === 'rejected') {
      written(r);
      return `record for ${file} would be rejected by every reader: ${check.reason}; not written`;
    }
    try {
      appendLine(file, line);
    } catch (err) {
      return `cannot append to ${file}: ${errorText(err)}`;
    }
    written(r);
  }
  return null;
}

function parseFlags(args: readonly string[]): { dir?: string; stateDir?: string; unknown: string[] } {
  const out: { dir?: string; stateDir?: string; unknown: string[] } = { unknown: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--dir' || name === '--state-dir') {
      const value = inline ?? args[++i];
      if (value === undefined || value === '') out.unknown.push(`${name} needs a value`);
      else if (name === '--dir') out.dir = value;
      else out.stateDir = value;
    } else {
      out.unknown.push(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return out;
}

/**
 * The dirs from the settings resolution every command uses (config.ts); when that fails (a bad
 * OAK_TELEMETRY_* variable), from the flags and the two path variables alone, and the failure is logged.
 */
async function resolveDirs(flags: ReturnType<typeof parseFlags>): Promise<{ value: Dirs; error: string | null }> {
  const problems = [...flags.unknown];
  try {
    const { loadSettings } = await import('../config.js');
    const settings = loadSettings({ flags: { dir: flags.dir, stateDir: flags.stateDir } });
    return { value: { dir: settings.dir, stateDir: settings.stateDir }, error: problems.length > 0 ? `hook flags: ${problems.join('; ')}` : null };
  } catch (err) {
    const env = process.env;
    const dir = path.resolve(flags.dir ?? (env.OAK_TELEMETRY_DIR || 'telemetry'));
    const stateDir = path.resolve(flags.stateDir ?? (env.OAK_TELEMETRY_STATE_DIR || path.join(dir, '.oak-telemetry')));
    problems.push(`settings: ${errorText(err)}`);
    return { value: { dir, stateDir }, error: `hook used --dir ${dir} --state-dir ${stateDir}: ${problems.join('; ')}` };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
