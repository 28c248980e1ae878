import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { hookCommandLine } from '../intake/claudeCode/hookCommandLine.js';
import {
  installHooks,
  OWN_HOOK_MARKER,
  removeHooks,
  SettingsShapeError,
  type HookChange,
  type JsonObject,
  type MergeResult,
} from '../intake/claudeCode/hookSettings.js';
import { printLine } from './common.js';

interface InitOpts {
  project?: string;
  user?: boolean;
  dir?: string;
  remove?: boolean;
}

/** `init claude-code`: the edge around the pure settings merge (read, back up, write, print). */
export function buildInitCommand(): Command {
  const init = new Command('init').description('connect an agent tool to oak-telemetry (writes its hook settings)');
  init
    .command('claude-code')
    .description(
      "add oak-telemetry's hooks to Claude Code's settings, so every subagent run, hand-off and user prompt is logged; " +
        'other settings and hooks are kept, the old file is backed up, running it again changes nothing',
    )
    .option('--project <dir>', "project whose .claude/settings.json gets the hooks (default: the current directory)")
    .option('--user', "write the user's settings instead: $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json")
    .option('--dir <path>', 'telemetry directory the hooks write to (default: $OAK_TELEMETRY_DIR, else <project>/telemetry)')
    .option('--remove', 'take our hooks out again (only ours; nothing else changes)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  oak-telemetry init claude-code                      # hooks in ./.claude/settings.json, telemetry in ./telemetry\n' +
        '  oak-telemetry init claude-code --user --dir ~/telemetry\n' +
        '  oak-telemetry init claude-code --remove\n' +
        `\nThe hooks run "node <this CLI> hook --dir <dir>" (absolute paths) and end with the comment "${OWN_HOOK_MARKER}",\n` +
        'which is how --remove and a second run recognise them. Tool hooks match only the Agent tool (and Task, its\n' +
        'older name), so ordinary tool calls run no hook. See docs/claude-code.md.\n',
    )
    .action(async (opts: InitOpts) => {
      await initClaudeCode(opts, process.env);
    });
  return init;
}

async function initClaudeCode(opts: InitOpts, env: NodeJS.ProcessEnv): Promise<void> {
  const project = path.resolve(opts.project ?? '.');
  const settingsPath = opts.user === true ? userSettingsPath(env) : path.join(project, '.claude', 'settings.json');
  const original = readSettings(settingsPath);
  const settings = original?.settings ?? {};
  let merge: MergeResult;
  let telemetryDir: string | undefined;
  try {
    if (opts.remove === true) {
      merge = removeHooks(settings);
    } else {
      telemetryDir = path.resolve(opts.dir ?? (env.OAK_TELEMETRY_DIR || path.join(project, 'telemetry')));
      merge = installHooks(settings, hookCommandLine(process.execPath, runningCli(), telemetryDir));
    }
  } catch (error) {
    if (error instanceof SettingsShapeError) throw new CommandFailed(`${settingsPath}: ${error.message}; nothing changed`);
    throw error;
  }
  if (!merge.changed) {
    printLine(
      opts.remove === true
        ? `${settingsPath}: no oak-telemetry hooks to remove; nothing changed`
        : `${settingsPath}: the oak-telemetry hooks are already installed as wanted; nothing changed`,
    );
    return;
  }
  const backup = original === undefined ? undefined : backUp(settingsPath, original.bytes);
  fs.mkdirSync(path.dirname(settingsPath), { recursive: true });
  await writeFileAtomic(settingsPath, JSON.stringify(merge.settings, null, 2) + '\n');
  printLine(`${opts.remove === true ? 'Removed oak-telemetry hooks from' : 'Installed oak-telemetry hooks in'} ${settingsPath}`);
  printLine(backup === undefined ? '  (a new file: there was none before)' : `  backup of the old file: ${backup}`);
  for (const change of merge.changes) printLine(`  ${describeChange(change)}`);
  if (telemetryDir !== undefined) printLine(`Telemetry will be written to ${telemetryDir}`);
}

function userSettingsPath(env: NodeJS.ProcessEnv): string {
  const configDir = env.CLAUDE_CONFIG_DIR || path.join(os.homedir(), '.claude');
  return path.join(path.resolve(configDir), 'settings.json');
}

/** The file this process runs from, links resolved, so the hooks keep working from any cwd or PATH. */
function runningCli(): string {
  const entry = process.argv[1];
  if (entry === undefined) throw new CommandFailed('cannot tell which file this CLI runs from (no process.argv[1])');
  return fs.realpathSync(entry);
}

function readSettings(file: string): { settings: JsonObject; bytes: Buffer } | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CommandFailed(`${file} is not valid JSON (${(error as Error).message}); nothing changed`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CommandFailed(`${file} does not hold a JSON object; nothing changed`);
  }
  return { settings: value as JsonObject, bytes };
}

/** A copy of the file as it was, next to it, under a name no earlier backup has. */
function backUp(file: string, bytes: Buffer): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let n = 0; ; n++) {
    const backup = `${file}.${stamp}${n === 0 ? '' : `-${n}`}.bak`;
    try {
      fs.writeFileSync(backup, bytes, { flag: 'wx' });
      return backup;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function describeChange(change: HookChange): string {
  const where = change.matcher === undefined ? change.event : `${change.event} (tools: ${change.matcher})`;
  switch (change.action) {
    case 'added':
      return `+ ${where}`;
    case 'updated':
      return `~ ${where} (our older command replaced)`;
    case 'removed':
      return `- ${where}`;
    case 'unchanged':
      return `= ${where} (already there)`;
  }
}
