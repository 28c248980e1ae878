import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CLI, cliEnv, expectOneLineFailure, runCli } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const MARKER = '# oak-telemetry:claude-code';
const temp = tempDirsPerTest();
let project: string;
let settingsFile: string;
beforeEach(() => {
  project = temp.make('oak-init-');
  settingsFile = path.join(project, '.claude', 'settings.json');
});

const read = (file = settingsFile) => JSON.parse(fs.readFileSync(file, 'utf8')) as { hooks: Record<string, { matcher?: string; hooks: { command: string }[] }[]>; [k: string]: unknown };
const backups = (dir = path.dirname(settingsFile)) => fs.readdirSync(dir).filter((n) => n.endsWith('.bak'));
const ownCommands = (settings: ReturnType<typeof read>) =>
  Object.values(settings.hooks).flatMap((groups) => groups.flatMap((g) => g.hooks.map((h) => h.command))).filter((c) => c.includes(MARKER));

const USERS_OWN = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'] },
  hooks: {
    PreToolUse: [{ matcher: 'Agent', hooks: [{ type: 'command', command: 'echo mine >> /tmp/x' }] }],
    Notification: [{ hooks: [{ type: 'command', command: 'notify-send hi' }] }],
  },
};

describe('oak-telemetry init claude-code', () => {
  it('writes a new project settings file with absolute node, CLI and telemetry dir', () => {
    const r = runCli(['init', 'claude-code'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Installed oak-telemetry hooks in ${settingsFile}`);
    expect(r.stdout).toContain('+ PreToolUse (tools: Agent|Task)');
    const commands = ownCommands(read());
    expect(commands).toHaveLength(10);
    expect(new Set(commands)).toEqual(new Set([`${process.execPath} ${fs.realpathSync(CLI)} hook --dir ${path.join(fs.realpathSync(project), 'telemetry')} ${MARKER}`]));
    expect(backups()).toEqual([]);
  });

  it("keeps the user's settings and hooks, backs the old file up, and a second run changes nothing", () => {
    fs.mkdirSync(path.dirname(settingsFile));
    const original = JSON.stringify(USERS_OWN, null, 4);
    fs.writeFileSync(settingsFile, original);
    const first = runCli(['init', 'claude-code', '--project', project, '--dir', 'tele'], { cwd: project });
    expect(first.code, first.stderr).toBe(0);
    const [backup] = backups();
    expect(first.stdout).toContain(`backup of the old file: ${path.join(path.dirname(settingsFile), backup!)}`);
    expect(fs.readFileSync(path.join(path.dirname(settingsFile), backup!), 'utf8')).toBe(original);
    const installed = read();
    expect(installed.model).toBe('opus');
    expect(installed.permissions).toEqual(USERS_OWN.permissions);
    expect(installed.hooks.Notification).toEqual(USERS_OWN.hooks.Notification);
    expect(installed.hooks.PreToolUse![0]).toEqual(USERS_OWN.hooks.PreToolUse[0]);
    expect(installed.hooks.PreToolUse).toHaveLength(2);
    expect(ownCommands(installed)[0]).toContain(`--dir ${path.join(fs.realpathSync(project), 'tele')} `);

    const bytes = fs.readFileSync(settingsFile);
    const second = runCli(['init', 'claude-code', '--project', project, '--dir', 'tele'], { cwd: project });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`${settingsFile}: the oak-telemetry hooks are already installed as wanted; nothing changed\n`);
    expect(fs.readFileSync(settingsFile)).toEqual(bytes);
    expect(backups()).toHaveLength(1);

    const removed = runCli(['init', 'claude-code', '--remove', '--project', project]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`Removed oak-telemetry hooks from ${settingsFile}`);
    expect(removed.stdout).toContain('- SubagentStart');
    expect(read()).toEqual(USERS_OWN);
    expect(backups()).toHaveLength(2);
    const again = runCli(['init', 'claude-code', '--remove', '--project', project]);
    expect(again.stdout).toContain('no oak-telemetry hooks to remove; nothing changed');
  });

  it('refuses a settings file that is not valid JSON, in one line, changing nothing', () => {
    fs.mkdirSync(path.dirname(settingsFile));
    fs.writeFileSync(settingsFile, '{"hooks": {,}');
    expectOneLineFailure(['init', 'claude-code', '--project', project], /settings\.json is not valid JSON .*nothing changed/);
    expect(fs.readFileSync(settingsFile, 'utf8')).toBe('{"hooks": {,}');
    expect(backups()).toEqual([]);
    fs.writeFileSync(settingsFile, '{"hooks": {"Stop": "x"}}');
    expectOneLineFailure(['init', 'claude-code', '--project', project], /"hooks\.Stop" is a string, not an array; nothing changed/);
  });

  it("--user writes $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json; the dir defaults to $OAK_TELEMETRY_DIR", () => {
    const configDir = path.join(project, 'config');
    const r = runCli(['init', 'claude-code', '--user'], { cwd: project, env: { CLAUDE_CONFIG_DIR: configDir, OAK_TELEMETRY_DIR: '/srv/tele' } });
    expect(r.code, r.stderr).toBe(0);
    expect(ownCommands(read(path.join(configDir, 'settings.json')))[0]).toContain('--dir /srv/tele ');
    const home = path.join(project, 'home');
    const env: NodeJS.ProcessEnv = { ...cliEnv(), HOME: home };
    delete env.CLAUDE_CONFIG_DIR;
    const h = spawnSync(process.execPath, [CLI, 'init', 'claude-code', '--user'], { cwd: project, env, encoding: 'utf8' });
    expect(h.status, h.stderr).toBe(0);
    expect(ownCommands(read(path.join(home, '.claude', 'settings.json')))[0]).toContain(`--dir ${path.join(fs.realpathSync(project), 'telemetry')} `);
    expect(fs.existsSync(settingsFile)).toBe(false);
  });

  it('writes the real path of the CLI when it runs through a link', () => {
    const link = path.join(project, 'oak-telemetry');
    fs.symlinkSync(CLI, link);
    const r = spawnSync(process.execPath, [link, 'init', 'claude-code'], { cwd: project, env: cliEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(ownCommands(read())[0]).toContain(` ${fs.realpathSync(CLI)} hook `);
  });
});
