import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_ENV_VARS, defaultConfigPath, loadDaemonConfig, type LoadDaemonConfigOptions } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-config-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function configFile(content: unknown, name = 'daemon.json'): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The UsageError a load throws; fails the test if it throws anything else or nothing. */
function usageErrorOf(options: LoadDaemonConfigOptions): UsageError {
  try {
    loadDaemonConfig({ env: {}, cwd: tmp, ...options });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, got a config');
}

describe('loadDaemonConfig: defaults', () => {
  it('reads config/default.json from the package root', () => {
    expect(defaultConfigPath()).toBe(path.resolve(import.meta.dirname, '../../config/default.json'));
    const defaults = JSON.parse(fs.readFileSync(defaultConfigPath(), 'utf8'));
    const config = loadDaemonConfig({ env: {}, cwd: tmp });
    expect(config).toEqual({
      ...defaults,
      dir: path.join(tmp, 'telemetry'),
      stateDir: path.join(tmp, 'telemetry', '.oak-telemetry'),
    });
  });

  it('puts stateDir under the telemetry dir unless given', () => {
    expect(loadDaemonConfig({ env: {}, cwd: tmp, flags: { dir: 'data' } }).stateDir).toBe(path.join(tmp, 'data', '.oak-telemetry'));
    expect(loadDaemonConfig({ env: {}, cwd: tmp, flags: { dir: '/abs/data', stateDir: 'state' } }).stateDir).toBe(path.join(tmp, 'state'));
  });

  it('ignores undefined flags (unset options)', () => {
    const config = loadDaemonConfig({ env: {}, cwd: tmp, flags: { pollIntervalMs: undefined, stateDir: undefined } });
    expect(config.pollIntervalMs).toBe(2000);
  });
});

describe('loadDaemonConfig: precedence default < file < env < flags', () => {
  const file = () =>
    configFile({
      pollIntervalMs: 100,
      snapshotIntervalMs: 101,
      checkpointIntervalMs: 102,
      maxLineBytes: 103,
      alerts: { overhead: { thresholdPct: 40 }, agentSuccess: { floor: 0.25 } },
    });
  const env = {
    OAK_TELEMETRY_SNAPSHOT_INTERVAL_MS: '201',
    OAK_TELEMETRY_CHECKPOINT_INTERVAL_MS: '202',
    OAK_TELEMETRY_OVERHEAD_THRESHOLD_PCT: '45.5',
  };
  const flags = { checkpointIntervalMs: 302, alerts: { overhead: { window: 7 } } };

  it('each layer overrides the one before, field by field, nested objects merged', () => {
    const config = loadDaemonConfig({ cwd: tmp, configFile: file(), env, flags });
    expect(config.maxLineBytes).toBe(103); // file
    expect(config.pollIntervalMs).toBe(100); // file
    expect(config.snapshotIntervalMs).toBe(201); // env over file
    expect(config.checkpointIntervalMs).toBe(302); // flag over env over file
    expect(config.alerts.overhead).toEqual({ thresholdPct: 45.5, hysteresisPct: 2, window: 7 });
    expect(config.alerts.agentSuccess).toEqual({ floor: 0.25, minRuns: 10 });
    expect(config.rollingWindow).toBe(20); // default
  });
});

describe('loadDaemonConfig: paths', () => {
  it('resolves relative paths in a config file against its own directory', () => {
    fs.mkdirSync(path.join(tmp, 'etc'));
    const file = configFile({ dir: '../data', stateDir: 'state' }, 'etc/daemon.json');
    const config = loadDaemonConfig({ env: {}, cwd: '/somewhere/else', configFile: file });
    expect(config.dir).toBe(path.join(tmp, 'data'));
    expect(config.stateDir).toBe(path.join(tmp, 'etc', 'state'));
  });

  it('resolves relative paths from env and flags against the cwd', () => {
    const fromEnv = loadDaemonConfig({ cwd: tmp, env: { OAK_TELEMETRY_DIR: 'd', OAK_TELEMETRY_STATE_DIR: 's' } });
    expect([fromEnv.dir, fromEnv.stateDir]).toEqual([path.join(tmp, 'd'), path.join(tmp, 's')]);
    const fromFlags = loadDaemonConfig({ cwd: tmp, env: {}, flags: { dir: 'fd' } });
    expect(fromFlags.dir).toBe(path.join(tmp, 'fd'));
  });

  it('a null stateDir in a later layer resets an earlier one to the default', () => {
    const file = configFile({ stateDir: '/var/lib/oak' });
    const config = loadDaemonConfig({ cwd: tmp, env: {}, configFile: file, flags: { dir: 'd', stateDir: null } });
    expect(config.stateDir).toBe(path.join(tmp, 'd', '.oak-telemetry'));
  });
});

describe('loadDaemonConfig: every env var in the documented list is read', () => {
  it.each(CONFIG_ENV_VARS.map((v) => [v.name, v.field, v.kind] as const))('%s sets %s', (name, field, kind) => {
    const strings: Record<string, string> = { logLevel: 'debug', http: '127.0.0.1:9', httpToken: 'tok', 'otlp.token': 'tok', 'otlp.listen': '127.0.0.1:4318', 'nats.url': 'nats://127.0.0.1:4222', 'nats.stream': 'TELEMETRY' };
    const raw = kind === 'path' ? '/x/y' : kind === 'string' ? (strings[field] as string) : field.endsWith('floor') ? '0.75' : '3';
    const config = loadDaemonConfig({ cwd: tmp, env: { [name]: raw } });
    const value = field.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    expect(value).toBe(kind === 'number' ? Number(raw) : raw);
  });
});

describe('loadDaemonConfig: bad values name their source and field', () => {
  it('the nats section: a URL without a scheme, a bad stream name and replicas out of range name their flags', () => {
    const err = usageErrorOf({ flags: { nats: { url: 'localhost:4222', stream: 'a.b', replicas: 7 } } });
    expect(err.message).toContain('flag --nats: nats.url must be a nats:// URL');
    expect(err.message).toContain('flag --stream: nats.stream must be 1-64 letters, digits, _ or -');
    expect(err.message).toContain('nats.replicas must be <= 5, got 7');
  });

  it('config file: wrong type, out of range', () => {
    const file = configFile({ pollIntervalMs: 'fast', alerts: { agentSuccess: { floor: 1.5 } } });
    const err = usageErrorOf({ configFile: file });
    expect(err.message).toContain(`config file ${file}`);
    expect(err.message).toContain('pollIntervalMs must be a number, got "fast"');
    expect(err.message).toContain('alerts.agentSuccess.floor must be <= 1, got 1.5');
    expect(err.exitCode).toBe(2);
  });

  it('config file: unknown key, at the top or nested, is named', () => {
    const top = usageErrorOf({ configFile: configFile({ pollIntervalMS: 10 }) });
    expect(top.message).toMatch(/config file .*daemon\.json: unknown key "pollIntervalMS"$/);
    const nested = usageErrorOf({ configFile: configFile({ alerts: { overhead: { treshold: 1 } } }) });
    expect(nested.message).toContain('unknown key "treshold" in alerts.overhead');
  });

  it('config file: missing, not JSON, not an object', () => {
    const missing = path.join(tmp, 'nope.json');
    expect(usageErrorOf({ configFile: missing }).message).toBe(`config file ${missing}: no such file`);
    expect(usageErrorOf({ configFile: configFile('{ "pollIntervalMs": ') }).message).toMatch(/config file .*: not valid JSON/);
    expect(usageErrorOf({ configFile: configFile([1, 2]) }).message).toMatch(/must hold a JSON object, got an array/);
  });

  it('config file: a relative --config path is resolved against the cwd', () => {
    configFile({ rollingWindow: 5 }, 'rel.json');
    expect(loadDaemonConfig({ env: {}, cwd: tmp, configFile: 'rel.json' }).rollingWindow).toBe(5);
  });

  it.each([
    ['OAK_TELEMETRY_POLL_INTERVAL_MS', '5s', 'pollIntervalMs must be a number, got "5s"'],
    ['OAK_TELEMETRY_POLL_INTERVAL_MS', ' 5', 'pollIntervalMs must be a number, got " 5"'],
    ['OAK_TELEMETRY_MAX_LINE_BYTES', '0x10', 'maxLineBytes must be a number, got "0x10"'],
    ['OAK_TELEMETRY_SNAPSHOT_INTERVAL_MS', 'Infinity', 'snapshotIntervalMs must be a number, got "Infinity"'],
    ['OAK_TELEMETRY_CHECKPOINT_INTERVAL_MS', '', 'checkpointIntervalMs is set but empty (unset it to use the default)'],
    ['OAK_TELEMETRY_OVERHEAD_WINDOW', '2.5', 'alerts.overhead.window must be an integer, got 2.5'],
    ['OAK_TELEMETRY_OPEN_MAX_AGE_HOURS', '0', 'alerts.openWorkflow.maxAgeHours must be > 0, got 0'],
    ['OAK_TELEMETRY_AGENT_SUCCESS_FLOOR', '-0.1', 'alerts.agentSuccess.floor must be >= 0, got -0.1'],
    ['OAK_TELEMETRY_LOG_LEVEL', 'loud', 'logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
  ])('env %s=%j', (name, raw, message) => {
    const err = usageErrorOf({ env: { [name]: raw } });
    expect(err.message).toBe(`env ${name}: ${message}`);
  });

  it('env: numbers in plain decimal or exponent form are accepted', () => {
    const config = loadDaemonConfig({ cwd: tmp, env: { OAK_TELEMETRY_MAX_LINE_BYTES: '1e3', OAK_TELEMETRY_OVERHEAD_THRESHOLD_PCT: '.5' } });
    expect(config.maxLineBytes).toBe(1000);
    expect(config.alerts.overhead.thresholdPct).toBe(0.5);
  });

  it('flags: named as --kebab-case, with the field', () => {
    expect(usageErrorOf({ flags: { pollIntervalMs: 0 } }).message).toBe('flag --poll-interval-ms: pollIntervalMs must be >= 1, got 0');
    expect(usageErrorOf({ flags: { stateDir: '' } }).message).toBe('flag --state-dir: stateDir must not be empty, got ""');
    expect(usageErrorOf({ flags: { alerts: { overhead: { thresholdPct: 101 } } } }).message).toBe(
      'flag --alerts-overhead-threshold-pct: alerts.overhead.thresholdPct must be <= 100, got 101',
    );
    // a flags object the CLI built wrongly
    expect(usageErrorOf({ flags: { bogus: 1 } as never }).message).toBe('flags: unknown key "bogus"');
  });

  it('a bad value in a layer is an error even when a later layer overrides the field', () => {
    const err = usageErrorOf({ env: { OAK_TELEMETRY_POLL_INTERVAL_MS: 'x' }, flags: { pollIntervalMs: 10 } });
    expect(err.message).toContain('env OAK_TELEMETRY_POLL_INTERVAL_MS');
  });

  it('several problems in several env vars are all reported', () => {
    const err = usageErrorOf({ env: { OAK_TELEMETRY_ROLLING_WINDOW: '0', OAK_TELEMETRY_SNAPSHOT_LIST_LIMIT: '-1' } });
    expect(err.message).toContain('env OAK_TELEMETRY_ROLLING_WINDOW: rollingWindow must be >= 1, got 0');
    expect(err.message).toContain('env OAK_TELEMETRY_SNAPSHOT_LIST_LIMIT: snapshotListLimit must be >= 1, got -1');
  });
});

describe('loadDaemonConfig: the HTTP API settings', () => {
  it('listens on 127.0.0.1:7467 without a token by default; "off" and [v6]:port are accepted', () => {
    expect(loadDaemonConfig({ cwd: tmp, env: {} })).toMatchObject({ http: '127.0.0.1:7467', httpToken: null });
    expect(loadDaemonConfig({ cwd: tmp, env: {}, flags: { http: 'off' } }).http).toBe('off');
    expect(loadDaemonConfig({ cwd: tmp, env: {}, flags: { http: '[::1]:0' } }).http).toBe('[::1]:0');
  });

  it('refuses an address that is not HOST:PORT, naming the flag', () => {
    expect(usageErrorOf({ flags: { http: '7467' } }).message).toMatch(/--http.*HOST:PORT/);
  });
});
