/**
 * Whatever numbers a log holds (durations and estimates huge, tiny, negative, subnormal; times
 * at and past the edges of what decode accepts), every figure every query returns is a finite
 * number or an explicit null, and the snapshot built from that state follows its schema.
 * Lines go through decode as they do in every reader: what decode rejects never reaches a fold.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/decode/decodeLine.js';
import type { SourceKind } from '../../src/domain/sources.js';
import { formatTimestampUs, parseTimestampUs } from '../../src/domain/time.js';
import { applyEvent, initialState, type TelemetryState } from '../../src/projections/folds/telemetryState.js';
import { checkAlerts, transition } from '../../src/queries/alerts.js';
import { buildSnapshot, workflowViews } from '../../src/queries/snapshot.js';
import * as q from '../../src/queries/telemetryQueries.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/snapshot.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

const AGENTS = ['a', 'b', 'c'];
const T0 = Date.parse('2026-01-10T00:00:00Z');
const minute = (m: number): string => new Date(T0 + m * 60_000).toISOString();

/** Any number JSON can carry, with the edges named: decode must reject what would break a figure. */
const edgeNumber = fc.oneof(
  fc.constantFrom(0, -0, 1e-300, 5e-324, 1e-7, 1e-6, 0.5, 60, 1e7, 1e7 + 1, 1e10, 1.7e308, Number.MAX_VALUE, -1, -1e-300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 0, max: 1e7, noNaN: true }),
);
const duration = fc.option(edgeNumber, { nil: null });
/** Minutes from T0, or a timestamp at or past the accepted range, or not a time at all. */
const time = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 600 }).map(minute) },
  { weight: 1, arbitrary: fc.constantFrom('1970-01-01T00:00:00Z', '2199-12-31T23:59:59.999999Z', '2200-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59Z', 'not a time') },
);

const workflowArb = fc.record({
  estimate: duration,
  start: fc.option(time, { nil: null }),
  runs: fc.array(
    fc.record({
      agent: fc.constantFrom(...AGENTS),
      at: time,
      duration,
      status: fc.constantFrom('success', 'failure', 'unknown'),
      quality: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    }),
    { maxLength: 4 },
  ),
  handoff: fc.boolean(),
  end: fc.option(fc.record({ at: time, duration: edgeNumber, success: fc.boolean() }), { nil: null }),
});

const scenarioArb = fc.record({
  workflows: fc.array(workflowArb, { minLength: 1, maxLength: 4 }),
  now: fc.constantFrom('2026-01-10T05:00:00Z', '1970-01-01T00:00:00Z', '2199-12-31T23:59:59Z'),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function linesOf(scenario: Scenario): Array<[SourceKind, string]> {
  const lines: Array<[SourceKind, string]> = [];
  scenario.workflows.forEach((wf, w) => {
    const workflow_id = `wf${w}`;
    const base = { workflow_id, session_id: 's' };
    if (wf.start !== null) {
      lines.push(['workflow_events', JSON.stringify({ ...base, event: 'workflow_start', timestamp: wf.start, project_name: 'p', agent_plan: AGENTS, estimated_duration: wf.estimate })]);
    }
    wf.runs.forEach((run, i) => {
      const invocation_id = `${workflow_id}-${i}`;
      lines.push([
        'invocations',
        JSON.stringify({ ...base, invocation_id, timestamp: run.at, agent_name: run.agent, duration_seconds: run.duration, outcome: { status: run.status } }),
      ]);
      if (run.quality !== null) lines.push(['metrics', JSON.stringify({ invocation_id, timestamp: run.at, success: run.status === 'success', quality_rating: run.quality })]);
    });
    if (wf.handoff) lines.push(['workflow_events', JSON.stringify({ ...base, event: 'agent_handoff', timestamp: wf.start ?? minute(1), from_agent: 'a', to_agent: 'b', artifacts: [] })]);
    if (wf.end !== null) {
      lines.push([
        'workflow_events',
        JSON.stringify({ ...base, event: 'workflow_complete', timestamp: wf.end.at, duration_seconds: wf.end.duration, success: wf.end.success, agents_executed: wf.runs.map((r) => r.agent) }),
      ]);
    }
  });
  return lines;
}

function foldLines(lines: ReadonlyArray<[SourceKind, string]>): TelemetryState {
  const state = initialState();
  for (const [kind, text] of lines) {
    const outcome = decodeText(kind, text);
    if (outcome.type === 'event') applyEvent(state, outcome.event);
  }
  return state;
}

/** Paths of every number that is not finite (JSON would write it as null, silently). */
function nonFinite(value: unknown, at = '$', found: string[] = []): string[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) found.push(`${at} = ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nonFinite(v, `${at}[${i}]`, found));
  } else if (value instanceof Map) {
    for (const [k, v] of value) nonFinite(v, `${at}.${String(k)}`, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) nonFinite(v, `${at}.${k}`, found);
  }
  return found;
}

const SETTINGS = {
  overhead: { thresholdPct: 0, hysteresisPct: 0, window: 50 },
  openWorkflow: { maxAgeHours: 0 },
  agentSuccess: { floor: 1, minRuns: 1, window: 20 },
};

function everyAnswer(state: TelemetryState, nowUs: number): Record<string, unknown> {
  const args = { limit: 10 };
  return {
    stats: q.stats(state),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    trends: AGENTS.map((agent) => q.trends(state, agent, q.DEFAULT_TREND_DAYS, nowUs)),
    ranking: q.ranking(state),
    bestAgents: q.bestAgents(state, { task: 'anything at all', domain: 'a', minConfidence: 0, nowUs }),
    open: q.open(state, nowUs),
    agents: q.agents(state),
    handoffs: q.handoffs(state, args),
    gaps: q.gaps(state, args),
    estimates: q.estimates(state, args),
    bottlenecks: q.bottlenecks(state, { ...args, thresholdPct: 0 }),
    alerts: checkAlerts(state, SETTINGS, nowUs),
  };
}

function snapshotOf(state: TelemetryState, nowUs: number) {
  const alerts = transition(new Map(), checkAlerts(state, SETTINGS, nowUs), formatTimestampUs(nowUs)).active.values();
  return buildSnapshot({
    state,
    nowUs,
    dir: '/telemetry',
    sources: null,
    health: { events_applied: 0, lines_rejected: 0, lag_bytes: 0, last_event_at: null, started_at: formatTimestampUs(nowUs), rebuilds: 0 },
    alerts,
    listLimit: 10,
    rollingWindow: 20,
    overheadAlert: { window: 50, thresholdPct: 30 },
    workflowViews: workflowViews(state, nowUs, 10, 30),
  });
}

describe('numbers at the edges', () => {
  it('any duration, estimate and time gives finite figures or null in every answer, and a valid snapshot', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const state = foldLines(linesOf(scenario));
        const nowUs = parseTimestampUs(scenario.now);
        expect(nonFinite(everyAnswer(state, nowUs))).toEqual([]);
        for (const w of q.open(state, nowUs)) expect(w.age_seconds === null || w.age_seconds >= 0).toBe(true);
        const snapshot = snapshotOf(state, nowUs);
        expect(nonFinite(snapshot)).toEqual([]);
        const onDisk = JSON.parse(JSON.stringify(snapshot)) as unknown;
        expect(validate(onDisk), JSON.stringify(validate.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the issue\'s lines: a 1e-300 estimate against 1e10 s, and 1.7e308 s, leave no trace in the figures', () => {
    const lines: Array<[SourceKind, string]> = [
      ['workflow_events', JSON.stringify({ event: 'workflow_start', workflow_id: 'w', session_id: 's', timestamp: minute(0), estimated_duration: 1e-300 })],
      ['invocations', JSON.stringify({ invocation_id: 'i', workflow_id: 'w', session_id: 's', agent_name: 'a', timestamp: minute(1), duration_seconds: 1.7e308, outcome: { status: 'success' } })],
      ['workflow_events', JSON.stringify({ event: 'workflow_complete', workflow_id: 'w', session_id: 's', timestamp: minute(2), duration_seconds: 1e10, success: true, agents_executed: ['a'] })],
    ];
    const state = foldLines(lines);
    expect(state.counts).toMatchObject({ invocations: 0 });
    expect(q.estimates(state).overall.workflows).toBe(0);
    expect(q.stats(state).total_invocations).toBe(0);
  });
});
