/**
 * A quick yes to a settings layer that is plainly valid, so a command's start-up does not load
 * zod (about 70 ms, a third of a query the daemon answers). It only ever says "valid" for what
 * config.ts's zod schemas accept (test/unit/configQuickCheck.test.ts checks that against zod on
 * random layers); anything else, including what it is unsure of, goes to zod, which gives the
 * error message. So no check is skipped: the schemas in config.ts stay the rule.
 */

/** The string formats of the settings, shared with config.ts's schemas so the two cannot drift. */
export const SETTING_PATTERNS = {
  natsName: /^[A-Za-z0-9_-]{1,64}$/,
  natsUrl: /^(nats|tls|ws|wss):\/\/\S+$/,
  listenAddress: /^(off|\[[^\]]+\]:\d{1,5}|[^:\s]+:\d{1,5})$/,
  /** The OTLP receiver's address: HOST or HOST:PORT (IPv6 in brackets); otlpAddress.ts parses it. */
  otlpAddress: /^(?:\[[^\]]+\]|[^:\s[\]]+)(?::\d{1,5})?$/,
  /** No whitespace at either end: HTTP drops it from the header. */
  token: /^\S(.*\S)?$/,
} as const;

type Check = (value: unknown) => boolean;
type Shape = Readonly<Record<string, Check>>;

const numberIn =
  (min: number, max = Infinity, integer = false): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isSafeInteger(v)) && v >= min && v <= max;
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const matching =
  (pattern: RegExp): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && pattern.test(v);

const intAtLeast1 = numberIn(1, Infinity, true);
const percent = numberIn(0, 100);
const path: Check = nullable((v) => typeof v === 'string' && v.length > 0);
const natsName = matching(SETTING_PATTERNS.natsName);

const overhead: Shape = { thresholdPct: percent, hysteresisPct: percent, window: intAtLeast1 };
const openWorkflow: Shape = { maxAgeHours: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 };
const agentSuccess: Shape = { floor: numberIn(0, 1), minRuns: intAtLeast1 };
const nats: Shape = {
  url: nullable(matching(SETTING_PATTERNS.natsUrl)),
  stream: natsName,
  consumer: nullable(natsName),
  replicas: numberIn(1, 5, true),
  maxAgeHours: numberIn(0),
  maxBytes: numberIn(-1, Infinity, true),
};

const otlp: Shape = {
  listen: nullable(matching(SETTING_PATTERNS.otlpAddress)),
  token: nullable(matching(SETTING_PATTERNS.token)),
  maxSpans: intAtLeast1,
  traceIdleMs: intAtLeast1,
  maxRequestsInFlight: intAtLeast1,
  maxLagBytes: intAtLeast1,
};

function top(logLevels: readonly string[], complete: boolean): Shape {
  const object = (shape: Shape): Check => (v) => isObjectOf(v, shape, complete);
  return {
    dir: path,
    stateDir: path,
    pollIntervalMs: intAtLeast1,
    snapshotIntervalMs: intAtLeast1,
    checkpointIntervalMs: intAtLeast1,
    maxLineBytes: intAtLeast1,
    rollingWindow: intAtLeast1,
    snapshotListLimit: intAtLeast1,
    logLevel: (v) => typeof v === 'string' && logLevels.includes(v),
    http: matching(SETTING_PATTERNS.listenAddress),
    httpToken: nullable(matching(SETTING_PATTERNS.token)),
    alerts: object({ overhead: object(overhead), openWorkflow: object(openWorkflow), agentSuccess: object(agentSuccess) }),
    nats: object(nats),
    otlp: object(otlp),
  };
}

/** A plain object with only the shape's keys, each valid; with `complete`, every key there (else any may be absent or undefined). */
function isObjectOf(value: unknown, shape: Shape, complete: boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!Object.hasOwn(shape, key)) return false;
  for (const [key, check] of Object.entries(shape)) {
    const field = record[key];
    if (field === undefined ? complete : !check(field)) return false;
  }
  return true;
}

/** True only if the layer is certainly valid: the defaults file's (`complete`: every field) or a partial one. */
export function plainlyValidLayer(value: unknown, logLevels: readonly string[], complete: boolean): boolean {
  return isObjectOf(value, top(logLevels, complete), complete);
}
