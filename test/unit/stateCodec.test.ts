import { serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../src/domain/exactSum.js';
import type {
  InvocationEvent,
  InvocationStatus,
  MetricEvent,
  TelemetryEvent,
  WorkflowEvent,
} from '../../src/domain/events.js';
import { stringifyJson } from '../../src/domain/jsonText.js';
import { parseTimestampUs, US_PER_DAY } from '../../src/domain/time.js';
import { FirstSeenCounts } from '../../src/projections/store/firstSeenCounts.js';
import { InvocationTable } from '../../src/projections/store/invocationTable.js';
import { KeyIndex } from '../../src/projections/store/keyIndex.js';
import { decodeState, encodeState, StateCodecError } from '../../src/io/stateCodec.js';
import { StringExtremes } from '../../src/projections/store/stringExtremes.js';
import { applyEvent, initialState, type TelemetryState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { workflowStatus } from '../../src/queries/workflowStatus.js';

// Own builders (test/support/events.ts belongs to another suite): every field spelled out.

interface InvocationFields {
  invocationId: string;
  timestamp: string;
  agentName: string;
  sessionId?: string | null;
  workflowId?: string | null;
  agentType?: string;
  taskDescription?: string;
  taskType?: string | null;
  status?: InvocationStatus;
  durationSeconds?: number | null;
  errorMessage?: string | null;
}

function invocation(f: InvocationFields): InvocationEvent {
  return {
    kind: 'invocation',
    invocationId: f.invocationId,
    timestamp: f.timestamp,
    timeUs: parseTimestampUs(f.timestamp),
    sessionId: f.sessionId ?? null,
    workflowId: f.workflowId ?? null,
    agentName: f.agentName,
    agentType: f.agentType ?? 'general',
    taskDescription: f.taskDescription ?? 'do the work',
    taskType: f.taskType ?? null,
    status: f.status ?? 'success',
    durationSeconds: f.durationSeconds ?? null,
    errorMessage: f.errorMessage ?? null,
  };
}

function metric(invocationId: string, qualityRating: number, success = true): MetricEvent {
  return { kind: 'metric', invocationId, timestamp: '2026-01-10T00:00:00Z', success, qualityRating };
}

function base(workflowId: string, timestamp: string, sessionId: string | null) {
  return { workflowId, sessionId, timestamp, timeUs: parseTimestampUs(timestamp) };
}

function start(
  workflowId: string,
  timestamp: string,
  sessionId: string | null = 's1',
  plan: string[] = [],
  projectName: string | null = 'P',
  estimatedDuration: number | null = 3600,
): WorkflowEvent {
  return { kind: 'workflow_start', ...base(workflowId, timestamp, sessionId), projectName, agentPlan: plan, estimatedDuration };
}

function handoff(
  workflowId: string,
  timestamp: string,
  sessionId: string | null = 's1',
  fromAgent: string | null = 'alpha',
  toAgent: string | null = 'beta',
  artifacts: string[] = ['a.md'],
): WorkflowEvent {
  return { kind: 'agent_handoff', ...base(workflowId, timestamp, sessionId), fromAgent, toAgent, artifacts };
}

function complete(
  workflowId: string,
  timestamp: string,
  agents: string[],
  durationSeconds = 600,
  sessionId: string | null = 's1',
  success = true,
): WorkflowEvent {
  return { kind: 'workflow_complete', ...base(workflowId, timestamp, sessionId), durationSeconds, success, agentsExecuted: agents };
}

function unknownEvent(workflowId: string, timestamp: string): WorkflowEvent {
  return { kind: 'unknown_workflow_event', ...base(workflowId, timestamp, 's1'), event: 'checkpoint_reached' };
}

function fold(events: readonly TelemetryEvent[], state: TelemetryState = initialState()): TelemetryState {
  for (const event of events) applyEvent(state, event);
  return state;
}

const restore = (state: TelemetryState): TelemetryState => decodeState(encodeState(state));

// Small pools, so replacements, shared groups, ties and collisions happen often.
// "42" is an integer-like key: a plain object would list it first, whatever the first-seen order.
// An empty name is legal input that best-agent skips.
const AGENTS = ['alpha', 'beta', '__proto__', 'constructor', '42', ''];
const IDS = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'];
const WORKFLOWS = ['w0', 'w1', 'w2'];
const SESSIONS = ['s1', 's2', null];
const TASKS = ['fix the cache bug', 'review security of login', 'write docs for the cache'];
const TASK_TYPES = ['code_review', 'testing', null];
const DAY0 = parseTimestampUs('2026-01-01T00:00:00Z');
const NOWS = [DAY0 - US_PER_DAY, DAY0 + 5 * US_PER_DAY, DAY0 + 20 * US_PER_DAY, DAY0 + 90 * US_PER_DAY, NaN];

const timestampArb = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom('', '.5', '.123456'))
    .map(([d, h, frac]) => `2026-01-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00${frac}Z`) },
  { weight: 1, arbitrary: fc.constantFrom('not a time', '') },
);

const invocationArb = fc
  .record({
    invocationId: fc.constantFrom(...IDS),
    timestamp: timestampArb,
    agentName: fc.constantFrom(...AGENTS),
    sessionId: fc.constantFrom(...SESSIONS),
    workflowId: fc.constantFrom(...WORKFLOWS, null),
    agentType: fc.constantFrom('quality', 'dev'),
    taskDescription: fc.constantFrom(...TASKS),
    taskType: fc.constantFrom(...TASK_TYPES),
    status: fc.constantFrom<InvocationStatus>('success', 'failure', 'partial', 'unknown'),
    durationSeconds: fc.constantFrom(null, 0, 0.1, 0.2, 0.3, 12.5, 3600, 1e-9),
    errorMessage: fc.constantFrom(null, 'boom', 'timeout'),
  })
  .map(invocation);

const metricArb = fc
  .tuple(fc.constantFrom(...IDS), fc.constantFrom(1, 2, 3, 4, 5, 3.5), fc.boolean())
  .map(([id, rating, ok]) => metric(id, rating, ok));

const workflowArb = fc
  .tuple(
    fc.constantFrom('start', 'handoff', 'complete', 'unknown'),
    fc.constantFrom(...WORKFLOWS),
    timestampArb,
    fc.constantFrom(...SESSIONS),
    fc.subarray(AGENTS),
    fc.constantFrom(0, 30, 600, 86_400),
    // what the hand-off, estimate and bottleneck views read: projects, estimates, who handed to whom, success
    fc.record({
      project: fc.constantFrom('P', 'Q', '__proto__', null),
      estimate: fc.constantFrom(null, 0, 600, 3600),
      from: fc.constantFrom(...AGENTS, null),
      to: fc.constantFrom(...AGENTS, null),
      artifacts: fc.subarray(['a.md', 'b.md']),
      success: fc.boolean(),
    }),
  )
  .map(([kind, id, ts, session, agents, seconds, more]): WorkflowEvent => {
    if (kind === 'start') return start(id, ts, session, agents, more.project, more.estimate);
    if (kind === 'handoff') return handoff(id, ts, session, more.from, more.to, more.artifacts);
    if (kind === 'complete') return complete(id, ts, agents, seconds, session, more.success);
    return unknownEvent(id, ts);
  });

const VIEW_ARGS: q.WorkflowViewArgs[] = [
  {},
  { filter: { project: 'P' } },
  { filter: { sinceUs: DAY0 + 10 * US_PER_DAY } },
  { filter: { project: '__proto__', sinceUs: DAY0 + 3 * US_PER_DAY }, limit: 1 },
];

const eventsArb = fc.array(
  fc.oneof({ weight: 5, arbitrary: invocationArb }, { weight: 2, arbitrary: metricArb }, { weight: 3, arbitrary: workflowArb }),
  { maxLength: 60 },
);

/** Every question, with enough arguments to reach every projection and every `now` case. */
function answers(state: TelemetryState) {
  return {
    stats: q.stats(state),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    recentOverhead: [1, 2, 50].map((window) => q.recentOverhead(state, window)),
    status: [...WORKFLOWS, 'none'].map((id) => NOWS.map((now) => workflowStatus(state, id, now))),
    trends: AGENTS.map((agent) => [7, 30, 90].map((days) => NOWS.map((now) => q.trends(state, agent, days, now)))),
    ranking: [undefined, 'code_review', 'testing'].map((taskType) => q.ranking(state, taskType)),
    best: ['fix cache', 'security review login', 'docs'].map((task) =>
      [undefined, 'quality', 'testing'].map((domain) =>
        [0, 0.1, 0.5].map((minConfidence) => NOWS.map((nowUs) => q.bestAgents(state, { task, domain, minConfidence, nowUs }))),
      ),
    ),
    open: NOWS.map((now) => q.open(state, now)),
    agents: [1, 3, 20].map((window) => q.agents(state, window)),
    // the workflow views, without and with each filter, and with a limit
    views: VIEW_ARGS.map((args) => ({
      handoffs: q.handoffs(state, args),
      gaps: q.gaps(state, args),
      estimates: q.estimates(state, args),
      bottlenecks: q.bottlenecks(state, args),
    })),
    history: (['auto', 'hour', 'day'] as const).map((bucket) => [undefined, 'P'].map((project) => q.history(state, { bucket, project }))),
    timelines: [...WORKFLOWS, 'none'].map((id) => q.timeline(state, id)),
  };
}

function expectSameAnswers(actual: TelemetryState, expected: TelemetryState): void {
  const a = answers(actual);
  const b = answers(expected);
  // stringifyJson is JSON.stringify in the key order the surfaces print (see jsonText.ts).
  expect(stringifyJson(a, 0)).toBe(stringifyJson(b, 0));
  // Stricter than JSON on numbers: NaN stays NaN and -0 is not 0. (Not toStrictEqual: an agent
  // named "constructor" is an own key of the stats object, which that matcher reads as a type.)
  expect(a).toEqual(b);
}

/** Paths in `actual` whose prototype differs from the same path in `expected` (same shape assumed). */
function prototypeMismatches(actual: unknown, expected: unknown, path = 'state', out: string[] = []): string[] {
  if (typeof actual !== 'object' || actual === null) return out;
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) out.push(path);
  if (actual instanceof Map) {
    const values = [...(expected as Map<unknown, unknown>).values()];
    let i = 0;
    for (const [key, value] of actual) prototypeMismatches(value, values[i++], `${path}.get(${String(key)})`, out);
  } else {
    for (const [key, value] of Object.entries(actual)) {
      prototypeMismatches(value, (expected as Record<string, unknown>)[key], `${path}.${key}`, out);
    }
  }
  return out;
}

describe('stateCodec: restore then fold on == fold from scratch', () => {
  it('for any events and any checkpoints along the way, every answer is identical', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 3 }), fc.boolean(), fc.boolean(), (events, rawCuts, queryAtCheckpoint, lazy) => {
        // given checkpoints at random positions (possibly several, possibly at the very ends)
        const cuts = rawCuts.map((n) => n % (events.length + 1)).sort((x, y) => x - y);
        // when each checkpoint is encoded, decoded and folding goes on from the decoded state
        let state = initialState();
        let next = 0;
        for (const cut of cuts) {
          for (; next < cut; next++) applyEvent(state, events[next] as TelemetryEvent);
          // Querying refreshes stale minimums; not querying leaves them stale in the checkpoint.
          if (queryAtCheckpoint) answers(state);
          // lazy: each projection decoded when first read, as a query from the checkpoint does
          state = lazy ? decodeState(encodeState(state), true) : restore(state);
        }
        fold(events.slice(next), state);
        // then it answers exactly as a fold of every event from scratch
        expectSameAnswers(state, fold(events));
      }),
      { numRuns: 300 },
    );
  });

  it('stale first-seen and extreme bounds at checkpoint time are refreshed after restore', () => {
    // given alpha's first invocation replaced by gamma's, so the minimum/maximum it held are stale
    const a = { invocationId: 'a', agentName: 'alpha', timestamp: '2026-01-05T00:00:00Z', workflowId: 'w3', taskType: 'testing', agentType: 'quality', taskDescription: 'fix the cache' };
    const before: TelemetryEvent[] = [
      start('w3', '2026-01-01T00:00:00Z'),
      invocation(a),
      invocation({ ...a, invocationId: 'b', timestamp: '2026-01-03T00:00:00Z', status: 'failure', errorMessage: 'boom', durationSeconds: 5 }),
      invocation({ invocationId: 'c', agentName: 'beta', timestamp: '2026-01-04T00:00:00Z', workflowId: 'w3', durationSeconds: 0.1 }),
      metric('a', 4),
      complete('w1', '2026-01-06T00:00:00Z', ['beta']),
      complete('w2', '2026-01-06T01:00:00Z', ['beta']),
      complete('w1', '2026-01-06T02:00:00Z', ['alpha']),
      invocation({ ...a, agentName: 'gamma', timestamp: '2026-01-02T00:00:00Z', taskType: 'code_review', status: 'unknown' }),
    ];
    const after: TelemetryState = fold(before);
    expect(after.statistics.agentOrder.needsRefresh).toBe(true);
    expect(after.statistics.timestamps.needsRefresh).toBe(true);
    expect(after.statistics.agents.get('alpha')?.taskTypes.needsRefresh).toBe(true);
    expect(after.rolling.seen.get('alpha')?.times.needsRefresh).toBe(true);
    expect(after.rolling.order.needsRefresh).toBe(true);
    // when checkpointed in that state (and asked right away, and folded on)
    expectSameAnswers(restore(fold(before)), fold(before));
    const restored = restore(after);
    expect(restored.statistics.agentOrder.needsRefresh).toBe(true);
    const rest: TelemetryEvent[] = [
      invocation({ invocationId: 'd', agentName: 'alpha', timestamp: '2026-01-07T00:00:00Z', workflowId: 'w3', taskType: 'testing' }),
      invocation({ ...a, agentName: 'gamma', timestamp: '2026-01-02T00:00:00Z', taskType: 'code_review', status: 'success', durationSeconds: 3 }),
      metric('a', 2),
      handoff('w3', '2026-01-07T01:00:00Z'),
    ];
    // then every answer matches the straight fold
    expectSameAnswers(fold(rest, restored), fold([...before, ...rest]));
  });
});

describe('stateCodec: classes come back', () => {
  const events: TelemetryEvent[] = [
    start('w1', '2026-01-01T00:00:00Z', 's1', ['alpha']),
    invocation({ invocationId: 'a', agentName: 'alpha', timestamp: '2026-01-01T01:00:00Z', workflowId: 'w1', taskType: 'testing', durationSeconds: 10 }),
    invocation({ invocationId: 'b', agentName: '__proto__', timestamp: '2026-01-01T02:00:00Z', sessionId: 's1', durationSeconds: 20 }),
    metric('a', 5),
    complete('w1', '2026-01-01T03:00:00Z', ['alpha', '__proto__']),
    start('w2', '2026-01-02T00:00:00Z'),
    invocation({ invocationId: 'c', agentName: 'beta', timestamp: '2026-01-02T01:00:00Z', workflowId: 'w2', status: 'unknown' }),
  ];

  it('ExactSum, FirstSeenCounts, StringExtremes and the ledger classes are instances again', () => {
    const restored = restore(fold(events));
    expect(restored.workflows.duration).toBeInstanceOf(ExactSum);
    expect(restored.statistics.agentOrder).toBeInstanceOf(FirstSeenCounts);
    expect(restored.statistics.timestamps).toBeInstanceOf(StringExtremes);
    expect(restored.statistics.agents.get('__proto__')?.duration).toBeInstanceOf(ExactSum);
    expect(restored.ledger.table).toBeInstanceOf(InvocationTable);
    expect(restored.ledger.invocationIds).toBeInstanceOf(KeyIndex);
    expect(restored.rolling.seen.get('alpha')?.times).toBeInstanceOf(StringExtremes);
    expect(restored.rolling.order).toBeInstanceOf(FirstSeenCounts);
  });

  it('every object in any restored state has the prototype it had before', () => {
    fc.assert(
      fc.property(eventsArb, (generated) => {
        const state = fold([...events, ...generated]);
        expect(prototypeMismatches(restore(state), state)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('stateCodec: bytes it cannot trust are refused', () => {
  const state = fold([
    start('w1', '2026-01-01T00:00:00Z'),
    invocation({ invocationId: 'a', agentName: 'alpha', timestamp: '2026-01-01T01:00:00Z', workflowId: 'w1', durationSeconds: 10 }),
    metric('a', 4),
    complete('w1', '2026-01-01T03:00:00Z', ['alpha']),
  ]);
  const bytes = encodeState(state);
  const headerEnd = 8 + bytes.readUInt32BE(4);
  const header = JSON.parse(bytes.subarray(8, headerEnd).toString('utf8')) as Record<string, unknown>;

  /** A checkpoint with this header and payload, framed as encodeState frames it. */
  function framed(changes: Record<string, unknown>, payload: Buffer = bytes.subarray(headerEnd)): Buffer {
    const json = Buffer.from(JSON.stringify({ ...header, payloadBytes: payload.length, ...changes }));
    const prefix = Buffer.alloc(8);
    prefix.write('OAKS', 0, 'latin1');
    prefix.writeUInt32BE(json.length, 4);
    return Buffer.concat([prefix, json, payload]);
  }

  it('accepts its own framing (the helper below frames as encodeState does)', () => {
    expect(framed({}).equals(bytes)).toBe(true);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('hello, world')],
    ['magic only', Buffer.from('OAKS')],
    ['a bare v8 payload', serialize({ counts: state.counts })],
    ['JSON', Buffer.from(JSON.stringify({ codec: 1 }))],
  ])('%s is not a checkpoint', (_name, garbage) => {
    expect(() => decodeState(garbage)).toThrow(StateCodecError);
  });

  it('every truncation is refused', () => {
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeState(bytes.subarray(0, length))).toThrow(StateCodecError);
    }
  });

  // A flipped bit is the checkpoint file's digest's to catch (test/unit/checkpointStore.test.ts).

  it('another codec version or projection schema is refused by name', () => {
    expect(() => decodeState(framed({ codec: 1 }))).toThrow(/codec 1/);
    expect(() => decodeState(framed({ schemas: { ...(header.schemas as object), statistics: 99 } }))).toThrow(/schemas/);
  });

  it('a checkpoint from before the workflow timings had a fold of their own is refused (then replayed)', () => {
    // Codec 4 kept the start and complete times inside the overhead fold (schema 2).
    const { timings: _timings, ...schemas } = header.schemas as Record<string, number>;
    const old = { ...schemas, overhead: 2 };
    expect(() => decodeState(framed({ codec: 4, schemas: old }))).toThrow(/codec 4/);
    expect(() => decodeState(framed({ schemas: old }))).toThrow(/schemas/);
  });

  it('lazily, a projection is decoded only when read; bytes from another Node version are decoded at once', () => {
    // given a checkpoint whose details payload is damaged (same length: the framing holds)
    const sections = header.sections as number[];
    const names = Object.keys(state);
    const at = sections.slice(0, names.indexOf('details')).reduce((a, b) => a + b, 0);
    const payload = Buffer.from(bytes.subarray(headerEnd));
    payload.fill(0xff, at, at + (sections[names.indexOf('details')] as number));
    const damaged = framed({}, payload);

    // then a lazy decode answers from the ledger and refuses only when the details are read
    const lazy = decodeState(damaged, true);
    expect(lazy.ledger.table.size).toBe(1);
    expect(stringifyJson(q.stats(lazy), 0)).toBe(stringifyJson(q.stats(state), 0));
    expect(() => lazy.details).toThrow(StateCodecError);
    // an eager decode refuses at once, and so does a lazy one of bytes another Node wrote
    expect(() => decodeState(damaged)).toThrow(/details/);
    expect(() => decodeState(framed({ node: 'v0.0.1' }, payload), true)).toThrow(/details/);
  });

  it('a payload that is not a state is refused, not half-restored', () => {
    expect(() => decodeState(framed({}, Buffer.from('not v8 at all')))).toThrow(StateCodecError);
    expect(() => decodeState(framed({}, serialize({ ledger: 1 })))).toThrow(StateCodecError);
  });
});
