/**
 * Where a query's settings and state come from, as a user runs it: the precedence of flags, env,
 * config file and defaults; --state-dir; --verbose naming what answered (a live daemon, its
 * checkpoint, a replay); the API token; and --source auto == replay under a non-default config.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, fixtureDir, killAllDaemons, ROOT, startDaemon, tempDir } from '../support/daemonHarness.js';

afterEach(killAllDaemons);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process (async: a daemon of this test must keep being served meanwhile). */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('OAK_')) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], { cwd: opts.cwd ?? tempDir('oak-cwd-'), env: { ...env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function total(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<number> {
  const r = await cli(['stats', '--json', ...args], opts);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { total_invocations: number }).total_invocations;
}

/** A telemetry dir of `n` invocations (so each dir tells which one answered). */
function dirOf(n: number): string {
  const dir = tempDir('oak-settings-');
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ timestamp: `2026-01-0${1 + (i % 9)}T00:00:00Z`, invocation_id: `i${i}`, agent_name: 'a', agent_type: 't', task_description: 'x', duration_seconds: 1, success: true }),
  );
  fs.writeFileSync(path.join(dir, 'agent_invocations.jsonl'), lines.map((l) => l + '\n').join(''));
  return dir;
}

describe('the telemetry dir: flag > env > config file > default', () => {
  it('takes each layer in turn', async () => {
    const [defaulted, fromConfig, fromEnv, fromFlag] = [1, 2, 3, 4].map(dirOf) as [string, string, string, string];
    // A working dir of its own, whose ./telemetry is the default.
    const cwd = tempDir('oak-cwd-');
    fs.renameSync(defaulted, path.join(cwd, 'telemetry'));
    const config = path.join(tempDir('oak-config-'), 'settings.json');
    fs.writeFileSync(config, JSON.stringify({ dir: fromConfig }));
    expect(await total([], { cwd })).toBe(1);
    expect(await total(['--config', config], { cwd })).toBe(2);
    expect(await total([], { cwd, env: { OAK_TELEMETRY_CONFIG: config } })).toBe(2);
    expect(await total(['--config', config], { cwd, env: { OAK_TELEMETRY_DIR: fromEnv } })).toBe(3);
    expect(await total(['--config', config, '--dir', fromFlag], { cwd, env: { OAK_TELEMETRY_DIR: fromEnv } })).toBe(4);
  });

  it('names the layer of a bad value', async () => {
    const r = await cli(['stats', '--dir', dirOf(1)], { env: { OAK_TELEMETRY_MAX_LINE_BYTES: 'lots' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('OAK_TELEMETRY_MAX_LINE_BYTES');
  });
});

describe('--state-dir and --verbose', () => {
  it('answers from the checkpoint in --state-dir (or $OAK_TELEMETRY_STATE_DIR), else replays', async () => {
    const dir = fixtureDir();
    const stateDir = path.join(tempDir('oak-state-'), 'state');
    const daemon = await startDaemon({ dir, stateDir });
    await daemon.stop();
    expect(fs.existsSync(path.join(stateDir, 'checkpoint.bin'))).toBe(true);

    const replay = await cli(['stats', '--json', '--verbose', '--dir', dir]);
    expect(replay.stderr).toMatch(/answered by a replay of /);
    const flag = await cli(['stats', '--json', '--verbose', '--dir', dir, '--state-dir', stateDir]);
    expect(flag.stderr).toContain(`answered from the checkpoint in ${stateDir}`);
    const env = await cli(['stats', '--json', '--verbose', '--dir', dir], { env: { OAK_TELEMETRY_STATE_DIR: stateDir } });
    expect(env.stderr).toContain(`answered from the checkpoint in ${stateDir}`);
    expect(flag.stdout).toBe(replay.stdout);
    expect(env.stdout).toBe(replay.stdout);
  });

  it('asks the running daemon first: the same bytes as a replay, tables too; a stale daemon.json falls back', async () => {
    const dir = fixtureDir();
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const record = JSON.parse(fs.readFileSync(path.join(daemon.stateDir, 'daemon.json'), 'utf8')) as { url: string; pid: number };
    expect(record.pid).toBe(daemon.child.pid);
    const questions = [
      ['stats'],
      ['best-agent', '--task', 'build payment api endpoint', '--all', '--now', '2026-11-05T00:00:00Z'],
      ['agents', '--window', '3'],
      ['trends', 'backend-architect', '--now', '2026-11-05T00:00:00Z'],
      ['bottlenecks', '--limit', '2'],
      ['handoffs', '--since', '2020-01-01T00:00:00Z'],
      ['open', '--now', '2026-11-05T00:00:00Z'],
    ];
    for (const question of questions) {
      for (const json of [['--json'], []]) {
        const asked = await cli([...question, ...json, '--verbose', '--dir', dir]);
        expect(asked.stderr, question.join(' ')).toBe(`oak-telemetry: answered by the daemon at ${record.url}\n`);
        const replay = await cli([...question, ...json, '--source', 'replay', '--dir', dir]);
        expect(asked.stdout, question.join(' ')).toBe(replay.stdout);
      }
    }
    await daemon.stop();
    expect(fs.existsSync(path.join(daemon.stateDir, 'daemon.json'))).toBe(false);

    // A daemon killed without its stop leaves daemon.json naming a pid that is gone.
    fs.writeFileSync(path.join(daemon.stateDir, 'daemon.json'), JSON.stringify({ ...record, pid: await deadPid() }));
    const after = await cli(['stats', '--verbose', '--dir', dir]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toMatch(/answered from the checkpoint in .*no running daemon recorded/);
  });

  it('a question the daemon answers loads neither the state machinery nor zod (the path a person waits on)', async () => {
    const dir = fixtureDir();
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const loaded = async (extra: string[]): Promise<string[]> => {
      const list = path.join(tempDir('oak-loaded-'), 'modules.txt');
      const args = ['best-agent', '--task', 'build payment api endpoint', '--json', '--verbose', '--dir', dir, ...extra];
      const run = await cli(args, { nodeArgs: ['--import', path.join(ROOT, 'test/support/loadedModules.mjs')], env: { OAK_TEST_LOADED_MODULES: list } });
      expect(run.code, run.stderr).toBe(0);
      return fs.readFileSync(list, 'utf8').split('\n').filter((line) => line !== '');
    };
    const machinery = /node_modules\/zod\/|\/(loadQueryState|openState|telemetryQueries|checkpointStore|config)(-[A-Z0-9]+)?\.js$/;
    const asked = await loaded([]);
    expect(asked.filter((url) => machinery.test(url))).toEqual([]);
    // The same question without the daemon loads them: the list above is not empty by accident.
    const replayed = await loaded(['--source', 'replay']);
    expect(replayed.filter((url) => machinery.test(url)).length).toBeGreaterThan(0);
    await daemon.stop();
  });

  it('sends the token from the env or the config; without it the daemon refuses and the checkpoint answers', async () => {
    const dir = fixtureDir();
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0', httpToken: 'sesame-123' });
    const withEnv = await cli(['stats', '--verbose', '--dir', dir], { env: { OAK_TELEMETRY_HTTP_TOKEN: 'sesame-123' } });
    expect(withEnv.stderr).toMatch(/answered by the daemon at http:\/\/127\.0\.0\.1:\d+\//);
    const config = path.join(tempDir('oak-config-'), 'settings.json');
    fs.writeFileSync(config, JSON.stringify({ httpToken: 'sesame-123' }));
    expect((await cli(['stats', '--verbose', '--dir', dir, '--config', config])).stderr).toMatch(/answered by the daemon at /);
    const without = await cli(['stats', '--verbose', '--dir', dir]);
    expect(without.code, without.stderr).toBe(0);
    expect(without.stderr).toMatch(/answered (from the checkpoint|by a replay).*HTTP 401/);
    expect(without.stdout).toBe(withEnv.stdout);
    await daemon.stop();
  });
});

describe('--source auto == --source replay under a non-default config', () => {
  it('folds the lines after the checkpoint under the same line limit and windows as the daemon', async () => {
    const dir = fixtureDir();
    const settings = { maxLineBytes: 800, rollingWindow: 3, alerts: { overhead: { window: 5, thresholdPct: 10 } } };
    const daemon = await startDaemon({ dir, config: settings });
    await daemon.stop();
    const config = path.join(dir, 'daemon-test-config.json');
    // Past the checkpoint: a line under the limit and one over it.
    const invocation = (id: string, task: string) =>
      JSON.stringify({ timestamp: '2026-02-01T00:00:00Z', invocation_id: id, agent_name: 'late', agent_type: 't', task_description: task, duration_seconds: 2, success: true }) + '\n';
    fs.appendFileSync(path.join(dir, 'agent_invocations.jsonl'), invocation('late-1', 'short') + invocation('late-2', 'y'.repeat(900)));
    const layers: Array<{ args: string[]; env: Record<string, string> }> = [
      { args: ['--config', config], env: {} },
      { args: [], env: { OAK_TELEMETRY_MAX_LINE_BYTES: '800', OAK_TELEMETRY_ROLLING_WINDOW: '3', OAK_TELEMETRY_OVERHEAD_THRESHOLD_PCT: '10' } },
    ];
    for (const layer of layers) {
      for (const question of [['stats'], ['agents'], ['bottlenecks'], ['report', '--now', '2026-11-05T00:00:00Z']]) {
        const auto = await cli([...question, '--json', '--verbose', '--dir', dir, ...layer.args], { env: layer.env });
        const replay = await cli([...question, '--json', '--source', 'replay', '--dir', dir, ...layer.args], { env: layer.env });
        expect(auto.stderr, question.join(' ')).toMatch(/answered from the checkpoint/);
        expect(auto.stdout, `${question.join(' ')} ${JSON.stringify(layer)}`).toBe(replay.stdout);
      }
      // validate reads the same limit: the long lines are the bad ones.
      const validate = await cli(['validate', '--dir', dir, ...layer.args], { env: layer.env });
      expect(validate.code).toBe(1);
      expect(validate.stdout).toMatch(/line longer than 800 bytes/);
    }
  });
});

/** A pid no process has now: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}
