import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { plainlyValidLayer, SETTING_PATTERNS } from './configQuickCheck.js';
import { CommandFailed, UsageError } from './errors.js';
import { readRegularFile } from './io/regularFile.js';

/**
 * Every command's settings, read in one place (the daemon reads them all; a query its dir, state
 * dir, line limit, windows and the API's token; ship its dir, state dir and stream). Layers, later wins:
 *
 *   config/default.json  <  --config FILE (or $OAK_TELEMETRY_CONFIG)  <  OAK_TELEMETRY_* env vars  <  flags
 *
 * Each layer is validated on its own before merging, so an error names where the bad value
 * came from (the file path, the env var, the flag) as well as the field. Nested objects merge
 * key by key; `undefined` (an unset flag) never overrides, `null` for `dir`/`stateDir` resets
 * to the computed default.
 *
 * Relative paths: in a config file they are relative to that file's directory (so the file
 * means the same thing whatever the daemon's cwd); from env vars and flags, to the cwd.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonConfig {
  /** Telemetry directory (absolute). Default: ./telemetry under the cwd. */
  dir: string;
  /** Where snapshots, checkpoints and the lock live (absolute). Default: <dir>/.oak-telemetry. */
  stateDir: string;
  pollIntervalMs: number;
  snapshotIntervalMs: number;
  checkpointIntervalMs: number;
  maxLineBytes: number;
  rollingWindow: number;
  snapshotListLimit: number;
  alerts: {
    overhead: { thresholdPct: number; hysteresisPct: number; window: number };
    openWorkflow: { maxAgeHours: number };
    agentSuccess: { floor: number; minRuns: number };
  };
  logLevel: LogLevel;
  /** The HTTP API: HOST:PORT, or "off". */
  http: string;
  /** Bearer token the API requires (on every route but /healthz); null: none. */
  httpToken: string | null;
  /** Scale-out: follow a JetStream stream instead of files (url null: file mode). */
  nats: NatsConfig;
  /** The OTLP receiver (`receive --otlp`, `daemon --otlp`). */
  otlp: OtlpConfig;
}

export interface OtlpConfig {
  /** Where the daemon's receiver listens (HOST or HOST:PORT, port 4318 by default); null: the daemon receives none. */
  listen: string | null;
  /** Bearer token exporters must send (required to listen beyond loopback); null: none. */
  token: string | null;
  /** Spans held for traces not yet complete, across all of them; beyond it the idlest are flushed. */
  maxSpans: number;
  /** A trace with no new span for this long is flushed (what it allows is written, then it is forgotten). */
  traceIdleMs: number;
  /** Requests read or handled at once (each may hold a body of up to 16 MiB); beyond: 429 with Retry-After. */
  maxRequestsInFlight: number;
  /** Daemon only: bytes written and not yet folded beyond which the receiver answers 429 (the fold is behind). */
  maxLagBytes: number;
}

export interface NatsConfig {
  url: string | null;
  /** The stream (ship creates it when missing, with the limits below). */
  stream: string;
  /** The aggregator's durable consumer; null: named after the state dir. */
  consumer: string | null;
  replicas: number;
  maxAgeHours: number;
  maxBytes: number;
}

/**
 * Every env var a command reads, and the field it sets. An empty value is an error, not "unset",
 * except for the two paths (an empty OAK_TELEMETRY_DIR always meant "no default dir").
 */
export const CONFIG_ENV_VARS = [
  { name: 'OAK_TELEMETRY_DIR', field: 'dir', kind: 'path' },
  { name: 'OAK_TELEMETRY_STATE_DIR', field: 'stateDir', kind: 'path' },
  { name: 'OAK_TELEMETRY_POLL_INTERVAL_MS', field: 'pollIntervalMs', kind: 'number' },
  { name: 'OAK_TELEMETRY_SNAPSHOT_INTERVAL_MS', field: 'snapshotIntervalMs', kind: 'number' },
  { name: 'OAK_TELEMETRY_CHECKPOINT_INTERVAL_MS', field: 'checkpointIntervalMs', kind: 'number' },
  { name: 'OAK_TELEMETRY_MAX_LINE_BYTES', field: 'maxLineBytes', kind: 'number' },
  { name: 'OAK_TELEMETRY_ROLLING_WINDOW', field: 'rollingWindow', kind: 'number' },
  { name: 'OAK_TELEMETRY_SNAPSHOT_LIST_LIMIT', field: 'snapshotListLimit', kind: 'number' },
  { name: 'OAK_TELEMETRY_OVERHEAD_THRESHOLD_PCT', field: 'alerts.overhead.thresholdPct', kind: 'number' },
  { name: 'OAK_TELEMETRY_OVERHEAD_HYSTERESIS_PCT', field: 'alerts.overhead.hysteresisPct', kind: 'number' },
  { name: 'OAK_TELEMETRY_OVERHEAD_WINDOW', field: 'alerts.overhead.window', kind: 'number' },
  { name: 'OAK_TELEMETRY_OPEN_MAX_AGE_HOURS', field: 'alerts.openWorkflow.maxAgeHours', kind: 'number' },
  { name: 'OAK_TELEMETRY_AGENT_SUCCESS_FLOOR', field: 'alerts.agentSuccess.floor', kind: 'number' },
  { name: 'OAK_TELEMETRY_AGENT_SUCCESS_MIN_RUNS', field: 'alerts.agentSuccess.minRuns', kind: 'number' },
  { name: 'OAK_TELEMETRY_LOG_LEVEL', field: 'logLevel', kind: 'string' },
  { name: 'OAK_TELEMETRY_HTTP', field: 'http', kind: 'string' },
  { name: 'OAK_TELEMETRY_HTTP_TOKEN', field: 'httpToken', kind: 'string' },
  { name: 'OAK_TELEMETRY_NATS', field: 'nats.url', kind: 'string' },
  { name: 'OAK_TELEMETRY_STREAM', field: 'nats.stream', kind: 'string' },
  { name: 'OAK_TELEMETRY_OTLP', field: 'otlp.listen', kind: 'string' },
  { name: 'OAK_TELEMETRY_OTLP_TOKEN', field: 'otlp.token', kind: 'string' },
  { name: 'OAK_TELEMETRY_OTLP_MAX_SPANS', field: 'otlp.maxSpans', kind: 'number' },
  { name: 'OAK_TELEMETRY_OTLP_TRACE_IDLE_MS', field: 'otlp.traceIdleMs', kind: 'number' },
  { name: 'OAK_TELEMETRY_OTLP_MAX_REQUESTS_IN_FLIGHT', field: 'otlp.maxRequestsInFlight', kind: 'number' },
  { name: 'OAK_TELEMETRY_OTLP_MAX_LAG_BYTES', field: 'otlp.maxLagBytes', kind: 'number' },
] as const satisfies ReadonlyArray<{ name: string; field: string; kind: 'path' | 'number' | 'string' }>;

// ---- schema ---------------------------------------------------------------------------------

/**
 * The schemas, the rule for every layer. Built on first need, with zod required then: most
 * layers pass configQuickCheck.ts, and a command should not load zod to start.
 */
function buildSchemas() {
  const { z } = createRequire(import.meta.url)('zod') as typeof import('zod');

  function numberIn(min: number, max: number = Infinity, integer = false) {
    let schema = z.number({ error: 'must be a number' });
    if (integer) schema = schema.int({ error: 'must be an integer' });
    schema = schema.min(min, { error: `must be >= ${min}` });
    if (max !== Infinity) schema = schema.max(max, { error: `must be <= ${max}` });
    return schema;
  }
  const intAtLeast1 = numberIn(1, Infinity, true);
  const percent = numberIn(0, 100);
  const optionalPath = z.string({ error: 'must be a path (string) or null' }).min(1, { error: 'must not be empty' }).nullable();
  const logLevel = z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` });
  const object = { error: 'must be an object' };

  const overheadShape = { thresholdPct: percent, hysteresisPct: percent, window: intAtLeast1 };
  const openWorkflowShape = { maxAgeHours: z.number({ error: 'must be a number' }).positive({ error: 'must be > 0' }) };
  const agentSuccessShape = { floor: numberIn(0, 1), minRuns: intAtLeast1 };
  /** A JetStream stream or consumer name: no spaces, '.', '*', '>', path separators. */
  const natsName = z.string({ error: 'must be a name' }).regex(SETTING_PATTERNS.natsName, { error: 'must be 1-64 letters, digits, _ or -' });
  const natsShape = {
    url: z.string({ error: 'must be a URL or null' }).regex(SETTING_PATTERNS.natsUrl, { error: 'must be a nats:// URL (a cluster: several, separated by commas)' }).nullable(),
    stream: natsName,
    consumer: natsName.nullable(),
    replicas: numberIn(1, 5, true),
    maxAgeHours: numberIn(0),
    maxBytes: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(-1, { error: 'must be -1 (no limit) or more' }),
  };
  /** A bearer token: the API's (httpToken) and the OTLP receiver's (otlp.token). */
  const token = z
    .string({ error: 'must be a string or null' })
    .min(1, { error: 'must not be empty' })
    .regex(SETTING_PATTERNS.token, { error: 'must not start or end with whitespace (HTTP drops it from the header)' })
    .nullable();
  const otlpShape = {
    listen: z.string({ error: 'must be HOST or HOST:PORT, or null' }).regex(SETTING_PATTERNS.otlpAddress, { error: 'must be HOST or HOST:PORT (e.g. 127.0.0.1:4318)' }).nullable(),
    token,
    maxSpans: intAtLeast1,
    traceIdleMs: intAtLeast1,
    maxRequestsInFlight: intAtLeast1,
    maxLagBytes: intAtLeast1,
  };
  const topShape = {
    dir: optionalPath,
    stateDir: optionalPath,
    pollIntervalMs: intAtLeast1,
    snapshotIntervalMs: intAtLeast1,
    checkpointIntervalMs: intAtLeast1,
    maxLineBytes: intAtLeast1,
    rollingWindow: intAtLeast1,
    snapshotListLimit: intAtLeast1,
    logLevel,
    http: z.string({ error: 'must be HOST:PORT or "off"' }).regex(SETTING_PATTERNS.listenAddress, { error: 'must be HOST:PORT or "off"' }),
    httpToken: token,
  };

  /** The defaults file must give every field. */
  const completeSchema = z.strictObject(
    {
      ...topShape,
      alerts: z.strictObject(
        {
          overhead: z.strictObject(overheadShape, object),
          openWorkflow: z.strictObject(openWorkflowShape, object),
          agentSuccess: z.strictObject(agentSuccessShape, object),
        },
        object,
      ),
      nats: z.strictObject(natsShape, object),
      otlp: z.strictObject(otlpShape, object),
    },
    object,
  );

  /** A config file, the env, or the flags: any subset of the fields, nothing else. */
  const layerSchema = z
    .strictObject(
      {
        ...topShape,
        alerts: z
          .strictObject(
            {
              overhead: z.strictObject(overheadShape, object).partial(),
              openWorkflow: z.strictObject(openWorkflowShape, object).partial(),
              agentSuccess: z.strictObject(agentSuccessShape, object).partial(),
            },
            object,
          )
          .partial(),
        nats: z.strictObject(natsShape, object).partial(),
        otlp: z.strictObject(otlpShape, object).partial(),
      },
      object,
    )
    .partial();
  return { complete: completeSchema, layer: layerSchema };
}
type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
/** Exported for the test that holds configQuickCheck.ts to them. */
export function schemasNow(): Schemas {
  schemas ??= buildSchemas();
  return schemas;
}

type CompleteLayer = z.infer<Schemas['complete']>;
/** What the CLI passes: any subset of the fields, already typed (numbers as numbers). */
export type DaemonConfigFlags = z.input<Schemas['layer']>;

// ---- loading --------------------------------------------------------------------------------

export interface LoadDaemonConfigOptions {
  /** --config: a JSON file holding any subset of the fields. Default: $OAK_TELEMETRY_CONFIG. */
  configFile?: string | undefined;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; `undefined` entries are ignored. */
  flags?: DaemonConfigFlags;
  /** Base for relative paths from env and flags. Default: process.cwd(). */
  cwd?: string;
}

/** The settings of any command: what the daemon reads, under the name the other commands use. */
export type Settings = DaemonConfig;
export type SettingsFlags = DaemonConfigFlags;
export type LoadSettingsOptions = LoadDaemonConfigOptions;
export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  return loadDaemonConfig(options);
}

export function loadDaemonConfig(options: LoadDaemonConfigOptions = {}): DaemonConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;

  const defaultsFile = defaultConfigPath();
  const defaultsSource = `defaults file ${defaultsFile}`;
  let merged: CompleteLayer = parseLayer('complete', readJsonObject(defaultsFile, defaultsSource), sameSource(defaultsSource));

  // --config, else $OAK_TELEMETRY_CONFIG (empty: unset, as for the paths).
  const configFile = options.configFile ?? (env.OAK_TELEMETRY_CONFIG === '' ? undefined : env.OAK_TELEMETRY_CONFIG);
  if (configFile !== undefined) {
    const file = path.resolve(cwd, configFile);
    const source = `config file ${file}`;
    const layer = parseLayer('layer', readJsonObject(file, source), sameSource(source));
    merged = mergeLayer(merged, resolvePaths(layer, path.dirname(file)));
  }

  const envLayer = parseLayer('layer', readEnv(env), { layer: 'env', field: (field) => `env ${envVarFor(field)}` });
  merged = mergeLayer(merged, resolvePaths(envLayer, cwd));

  const flagLayer = parseLayer('layer', options.flags ?? {}, { layer: 'flags', field: (field) => `flag ${flagFor(field)}` });
  merged = mergeLayer(merged, resolvePaths(flagLayer, cwd));

  const dir = merged.dir ?? path.resolve(cwd, 'telemetry');
  const stateDir = merged.stateDir ?? path.join(dir, '.oak-telemetry');
  return {
    dir,
    stateDir,
    pollIntervalMs: merged.pollIntervalMs,
    snapshotIntervalMs: merged.snapshotIntervalMs,
    checkpointIntervalMs: merged.checkpointIntervalMs,
    maxLineBytes: merged.maxLineBytes,
    rollingWindow: merged.rollingWindow,
    snapshotListLimit: merged.snapshotListLimit,
    alerts: {
      overhead: { ...merged.alerts.overhead },
      openWorkflow: { ...merged.alerts.openWorkflow },
      agentSuccess: { ...merged.alerts.agentSuccess },
    },
    logLevel: merged.logLevel,
    http: merged.http,
    httpToken: merged.httpToken,
    nats: { ...merged.nats },
    otlp: { ...merged.otlp },
  };
}

/**
 * config/default.json of this package. The compiled module sits at dist/src/config.js and the
 * source at src/config.ts, so the depth differs: walk up to the first directory with a
 * package.json instead of counting "..".
 */
export function defaultConfigPath(): string {
  return path.join(packageRoot(), 'config', 'default.json');
}

let cachedRoot: string | undefined;
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return (cachedRoot = dir);
    if (path.dirname(dir) === dir) throw new CommandFailed(`cannot find the oak-telemetry package root (no package.json above ${start})`);
  }
}

function sameSource(source: string): Sources {
  return { layer: source, field: () => source };
}

function readJsonObject(file: string, source: string): unknown {
  let text: string;
  try {
    const bytes = readRegularFile(file);
    if (bytes === null) throw new UsageError(`${source}: no such file`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${source}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${source}: must hold a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value;
}

/** Builds the env layer; numbers must be plain decimal literals ("1e3" ok; " 5", "0x10", "5ms" not). */
function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  for (const { name, field, kind } of CONFIG_ENV_VARS) {
    const raw = env[name];
    if (raw === undefined) continue;
    // An empty path reads as unset, as the CLI's --dir default always did (`OAK_TELEMETRY_DIR= cmd`).
    if (raw === '' && kind === 'path') continue;
    if (raw === '') throw new UsageError(`env ${name}: ${field} is set but empty (unset it to use the default)`);
    let value: unknown = raw;
    if (kind === 'number') {
      if (!STRICT_NUMBER.test(raw)) throw new UsageError(`env ${name}: ${field} must be a number, got ${JSON.stringify(raw)}`);
      value = Number(raw);
    }
    setAt(layer, field.split('.'), value);
  }
  return layer;
}
const STRICT_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function envVarFor(field: string): string {
  return CONFIG_ENV_VARS.find((v) => v.field === field)?.name ?? `OAK_TELEMETRY_* (${field})`;
}

/** Fields whose flag is not their path spelled out. */
const NAMED_FLAGS = new Map([
  ['nats.url', '--nats'],
  ['nats.stream', '--stream'],
  ['nats.consumer', '--consumer'],
  ['otlp.listen', '--otlp'],
]);

/** pollIntervalMs -> --poll-interval-ms; alerts.overhead.window -> --alerts-overhead-window. */
function flagFor(field: string): string {
  const named = NAMED_FLAGS.get(field);
  if (named !== undefined) return named;
  return '--' + field.split('.').map((s) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join('-');
}

interface Sources {
  /** Names the layer as a whole (for unknown keys). */
  layer: string;
  /** Names the source of one field ("alerts.overhead.window"). */
  field(field: string): string;
}

/** Validates one layer; every problem is reported, each under the source it came from. */
function parseLayer<K extends keyof Schemas>(which: K, input: unknown, sources: Sources): z.infer<Schemas[K]> {
  // Returned as given: the schemas hold no defaults or transforms, so zod's output would equal it.
  if (plainlyValidLayer(input, LOG_LEVELS, which === 'complete')) return input as z.infer<Schemas[K]>;
  const result = (schemasNow()[which] as z.ZodType).safeParse(input);
  if (result.success) return result.data as z.infer<Schemas[K]>;
  const bySource = new Map<string, string[]>();
  for (const issue of result.error.issues) {
    const at = issue.path.map(String);
    const field = at.join('.');
    let source: string;
    let message: string;
    if (issue.code === 'unrecognized_keys') {
      source = sources.layer;
      const keys = issue.keys.map((k) => JSON.stringify(k)).join(', ');
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${field === '' ? '' : ` in ${field}`}`;
    } else {
      source = field === '' ? sources.layer : sources.field(field);
      message = `${field === '' ? 'the config' : field} ${issue.message}, got ${shown(valueAt(input, at))}`;
    }
    const list = bySource.get(source) ?? [];
    list.push(message);
    bySource.set(source, list);
  }
  throw new UsageError([...bySource].map(([source, messages]) => `${source}: ${messages.join('; ')}`).join('; '));
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

function valueAt(input: unknown, at: readonly string[]): unknown {
  let value = input;
  for (const key of at) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function setAt(target: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let node = target;
  for (const key of at.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1] as string] = value;
}

type Layer = z.infer<Schemas['layer']>;

function resolvePaths(layer: Layer, base: string): Layer {
  const out = { ...layer };
  if (typeof out.dir === 'string') out.dir = path.resolve(base, out.dir);
  if (typeof out.stateDir === 'string') out.stateDir = path.resolve(base, out.stateDir);
  return out;
}

/** Layer over base, key by key in nested objects; undefined never overrides. */
function mergeLayer(base: CompleteLayer, layer: Layer): CompleteLayer {
  return mergeObjects(base, layer) as CompleteLayer;
}

function mergeObjects(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
