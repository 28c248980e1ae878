/**
 * One fold for every path: whatever order the three files' events arrive in (each file's own
 * order kept), and however each file's bytes are cut into chunks, the answers are exactly the
 * ones batch replay gives. Exact means exact: no tolerance, and lists (orders) compared as
 * JSON text. (c) goes one step further: a replaced record leaves no trace, so every line gives
 * what the final records alone give (this is what batch == incremental cannot see, since both
 * fold the same replacements).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeText } from '../../src/decode/decodeLine.js';
import type { Rejection } from '../../src/decode/rejection.js';
import type { TelemetryEvent } from '../../src/domain/events.js';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { parseTimestampUs, US_PER_DAY } from '../../src/domain/time.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { LineSplitter } from '../../src/pipeline/splitLines.js';
import { applyEvent, initialState, type TelemetryState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary: small pools so that ids, sessions, workflows and task texts collide often.

const NOW = '2026-11-05T00:00:00Z';
const NOW_US = parseTimestampUs(NOW);
const HOUR_US = 3_600_000_000;
/** Day 0 of the generated timeline: 40 days before NOW (so day 33 is exactly NOW - 7 days). */
const BASE_US = NOW_US - 40 * US_PER_DAY;

const AGENTS = ['planner', 'coder', '__proto__', 'constructor', 'tester'] as const;
const AGENT_TYPES = ['development', 'backend', 'Testing', 'documentation'] as const;
const TASKS = [
  'Build API endpoint',
  'fix the login bug',
  'write docs for the API endpoints',
  'rapid prototype of payments',
  'Données : résumé ✓ endpoint',
] as const;
const TASK_TYPES = ['feature_development', 'bug_fix', 'documentation', '__proto__'] as const;
const SESSIONS = ['s1', 's2', '__proto__'] as const;
const WORKFLOWS = ['w1', 'w2', 'w3', 'constructor'] as const;
const INVOCATION_IDS = ['inv-0', 'inv-1', 'inv-2', 'inv-3', 'inv-4', 'inv-5', 'inv-6', '__proto__', 'constructor'] as const;
const STATUSES = ['success', 'failure', 'partial', 'unknown'] as const;

/** Usually null, sometimes a value: for the rare fields of a replacement record. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

interface Stamp {
  readonly text: string;
}

/**
 * Timestamps on a coarse grid (day, hour) so that workflow intervals and invocations overlap,
 * with microseconds, sometimes without a fraction, rarely unparsable.
 */
const stampArb: fc.Arbitrary<Stamp> = fc
  .record({
    day: fc.oneof(fc.constantFrom(10, 33, 38, 39, 40, 41), fc.integer({ min: 0, max: 44 })),
    hour: fc.integer({ min: 0, max: 5 }),
    micros: fc.constantFrom(0, 1, 123_456, 999_999),
    form: fc.constantFrom('micro', 'micro', 'micro', 'plain', 'offset', 'garbage'),
  })
  .map(({ day, hour, micros, form }) => {
    if (form === 'garbage') return { text: 'yesterday-ish' };
    const us = BASE_US + day * US_PER_DAY + hour * HOUR_US + (form === 'plain' ? 0 : micros);
    const base = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
    const frac = String(us % 1_000_000).padStart(6, '0');
    if (form === 'plain') return { text: `${base}Z` };
    if (form === 'offset') return { text: `${base}.${frac}+00:00` };
    return { text: `${base}.${frac}Z` };
  });

const durationArb: fc.Arbitrary<number | null> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.constantFrom(1, 2.5, 60, 0.1, 0.2, 0.3, 3600, 45.123456) },
  { weight: 2, arbitrary: fc.double({ min: 0.001, max: 10_000, noNaN: true }) },
  // The longest duration decode accepts (a negative one is a bad line now: test/unit/decodeLimits.test.ts).
  { weight: 1, arbitrary: fc.constant(1e7) },
);

/** What an invocation id is "about"; every record of that id starts from this. */
const invocationBaseArb = fc.record({
  agent: fc.constantFrom(...AGENTS),
  agentType: fc.constantFrom(...AGENT_TYPES),
  task: fc.constantFrom(...TASKS),
  taskType: fc.option(fc.constantFrom(...TASK_TYPES), { nil: null, freq: 5 }),
  session: fc.option(fc.constantFrom(...SESSIONS), { nil: null, freq: 6 }),
  workflow: fc.option(fc.constantFrom(...WORKFLOWS), { nil: null, freq: 3 }),
  stamp: stampArb,
});
type InvocationBase = typeof invocationBaseArb extends fc.Arbitrary<infer T> ? T : never;

/** One line of agent_invocations.jsonl: an id's record, maybe replacing an earlier one. */
const invocationLineArb = fc.record({
  id: fc.nat({ max: INVOCATION_IDS.length - 1 }),
  status: fc.option(fc.constantFrom(...STATUSES), { nil: null, freq: 8 }),
  duration: durationArb,
  error: fc.constantFrom(null, '', 'timeout', 'compile error', 'timeout'),
  agent: rarely(fc.constantFrom(...AGENTS)),
  taskType: rarely(fc.option(fc.constantFrom(...TASK_TYPES), { nil: null })),
  workflow: rarely(fc.option(fc.constantFrom(...WORKFLOWS), { nil: null })),
  stamp: rarely(stampArb),
});
type InvocationLine = typeof invocationLineArb extends fc.Arbitrary<infer T> ? T : never;

const metricLineArb = fc.record({
  /** Index into INVOCATION_IDS, or one past it: a rating for an invocation never logged. */
  id: fc.nat({ max: INVOCATION_IDS.length }),
  success: fc.boolean(),
  quality: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(3.5, 4.25, 1.1)),
  stamp: stampArb,
});
type MetricLine = typeof metricLineArb extends fc.Arbitrary<infer T> ? T : never;

const workflowLineArb = fc.record({
  /** null: an event without workflow_id (skipped by the decoder). */
  workflow: fc.option(fc.constantFrom(...WORKFLOWS), { nil: null, freq: 10 }),
  kind: fc.constantFrom('workflow_start', 'workflow_start', 'agent_handoff', 'workflow_complete', 'workflow_complete', 'checkpoint_saved'),
  session: fc.option(fc.constantFrom(...SESSIONS), { nil: null, freq: 8 }),
  stamp: stampArb,
  /** A complete whose duration_seconds is the time since its workflow's last start (else `duration`). */
  consistent: fc.boolean(),
  duration: fc.oneof(fc.constantFrom(0, 60, 600, 3600, 7200, 90.5, 18_000), fc.double({ min: 0.5, max: 30_000, noNaN: true })),
  success: fc.boolean(),
  agents: fc.array(fc.constantFrom(...AGENTS), { maxLength: 4 }),
  project: fc.constantFrom('shop', 'Café – résumé', null),
  /** estimated_duration of a start: mostly one, so estimate accuracy has ratios to work on. */
  estimate: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.constantFrom(0, 60, 600, 3600, 1234.5) }),
  artifacts: fc.array(fc.constantFrom('design.md', 'api.md', 'Données.md'), { maxLength: 3 }),
});
type WorkflowLine = typeof workflowLineArb extends fc.Arbitrary<infer T> ? T : never;

/** Python's json.dumps(ensure_ascii=True) style, or raw UTF-8: both are written by real loggers. */
function toJsonLine(record: unknown, asciiOnly: boolean): string {
  const text = JSON.stringify(record);
  if (!asciiOnly) return text;
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invocationRecord(bases: readonly InvocationBase[], line: InvocationLine): Record<string, unknown> {
  const id = INVOCATION_IDS[line.id] as string;
  const base = bases[line.id % bases.length] as InvocationBase;
  const taskType = line.taskType !== null ? line.taskType : base.taskType;
  const workflow = line.workflow !== null ? line.workflow : base.workflow;
  const record: Record<string, unknown> = {
    timestamp: (line.stamp ?? base.stamp).text,
    session_id: base.session,
    invocation_id: id,
    agent_name: line.agent ?? base.agent,
    agent_type: base.agentType,
    task_description: base.task,
    state_features: taskType === null ? {} : { task: { type: taskType, complexity: 'medium' } },
    parent_invocation_id: null,
    workflow_id: workflow,
    // The top-level task_type is not the one statistics use: make it differ.
    task_type: 'not-the-state-features-one',
    tools_used: ['Read'],
    duration_seconds: line.duration,
    metadata: {},
  };
  if (line.status !== null) {
    record.outcome = { status: line.status, error_message: line.error, files_modified: [], tests_passed: null };
  }
  return record;
}

function metricRecord(line: MetricLine): Record<string, unknown> {
  return {
    timestamp: line.stamp.text,
    invocation_id: INVOCATION_IDS[line.id] ?? 'never-logged',
    success: line.success,
    quality_rating: line.quality,
    feedback_source: 'human',
    would_use_again: true,
  };
}

/** Workflow events; a "consistent" complete lasts from its workflow's last start. */
function workflowRecords(lines: readonly WorkflowLine[]): Record<string, unknown>[] {
  const lastStart = new Map<string, number>();
  return lines.map((line) => {
    const record: Record<string, unknown> = { timestamp: line.stamp.text, event: line.kind, session_id: line.session };
    if (line.workflow !== null) record.workflow_id = line.workflow;
    const startUs = line.workflow === null ? undefined : lastStart.get(line.workflow);
    switch (line.kind) {
      case 'workflow_start': {
        record.project_name = line.project;
        record.agent_plan = line.agents;
        record.estimated_duration = line.estimate;
        const us = parseTimestampUs(line.stamp.text);
        if (line.workflow !== null && !Number.isNaN(us)) lastStart.set(line.workflow, us);
        break;
      }
      case 'agent_handoff':
        record.from_agent = line.agents[0] ?? null;
        record.to_agent = line.agents[1] ?? null;
        record.artifacts = line.artifacts;
        break;
      case 'workflow_complete': {
        const us = parseTimestampUs(line.stamp.text);
        record.duration_seconds =
          line.consistent && startUs !== undefined && !Number.isNaN(us) && us >= startUs ? (us - startUs) / 1e6 : line.duration;
        record.success = line.success;
        record.agents_executed = line.agents;
        break;
      }
      default:
        record.detail = 'an event kind nobody knows';
    }
    return record;
  });
}

interface TelemetryFiles {
  /** Each file's lines (without newlines), in file order. */
  readonly lines: Record<SourceKind, string[]>;
}

const telemetryArb: fc.Arbitrary<TelemetryFiles> = fc
  .record({
    bases: fc.array(invocationBaseArb, { minLength: INVOCATION_IDS.length, maxLength: INVOCATION_IDS.length }),
    invocations: fc.array(invocationLineArb, { maxLength: 24 }),
    metrics: fc.array(metricLineArb, { maxLength: 12 }),
    workflows: fc.array(workflowLineArb, { maxLength: 16 }),
    asciiOnly: fc.boolean(),
  })
  .map(({ bases, invocations, metrics, workflows, asciiOnly }) => ({
    lines: {
      invocations: invocations.map((l) => toJsonLine(invocationRecord(bases, l), asciiOnly)),
      metrics: metrics.map((l) => toJsonLine(metricRecord(l), asciiOnly)),
      workflow_events: workflowRecords(workflows).map((r) => toJsonLine(r, asciiOnly)),
    },
  }));

// ---------------------------------------------------------------------------------------------
// Folding and asking.

function decodeEvents(kind: SourceKind, lines: readonly string[]): TelemetryEvent[] {
  const events: TelemetryEvent[] = [];
  for (const line of lines) {
    const outcome = decodeText(kind, line);
    if (outcome.type === 'event') events.push(outcome.event);
    else if (outcome.type === 'rejected') throw new Error(`generator wrote a bad ${kind} line (${outcome.reason}): ${line}`);
  }
  return events;
}

/**
 * Merges lists keeping each list's own order. `choices` name the list to take from next (the
 * next non-empty one after it when it is used up); once they run out, the rest follows in list
 * order. Every interleaving is some choice array.
 */
function interleave<T>(lists: ReadonlyArray<readonly T[]>, choices: readonly number[]): T[] {
  const at = lists.map(() => 0);
  const out: T[] = [];
  const total = lists.reduce((n, l) => n + l.length, 0);
  for (const choice of choices) {
    if (out.length === total) break;
    for (let k = 0; k < lists.length; k++) {
      const f = (choice + k) % lists.length;
      const list = lists[f] as readonly T[];
      if ((at[f] as number) < list.length) {
        out.push(list[(at[f] as number)++] as T);
        break;
      }
    }
  }
  lists.forEach((list, f) => {
    while ((at[f] as number) < list.length) out.push(list[(at[f] as number)++] as T);
  });
  return out;
}

function fold(events: readonly TelemetryEvent[], onStep?: (state: TelemetryState, index: number) => void): TelemetryState {
  const state = initialState();
  events.forEach((event, i) => {
    applyEvent(state, event);
    onStep?.(state, i);
  });
  return state;
}

/** Exact JSON: NaN, +-Infinity and -0 are kept apart from null and 0. */
function exactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `#number:${Object.is(v, -0) ? '-0' : String(v)}`;
    return v;
  });
}

const NOWS = [NOW_US, NOW_US + 10 * US_PER_DAY, NOW_US - 20 * US_PER_DAY];
const TREND_DAYS = [1, 7, 8, 14, 30, 45];
const BEST_TASKS = ['build api endpoint', 'fix the login bug', 'API development', 'write documentation', 'résumé données', 'prototype'];
const DOMAINS = [undefined, 'backend', 'development', 'doc', 'bug'];
const MIN_CONFIDENCES = [0, 0.3, 0.5];
/** The workflow views without and with each filter and a limit (the lists cut, the counts not). */
const VIEW_ARGS: ReadonlyArray<readonly [string, q.WorkflowViewArgs & { thresholdPct?: number }]> = [
  ['all', {}],
  ['shop, threshold 0', { filter: { project: 'shop' }, thresholdPct: 0 }],
  ['since day 33, limit 1', { filter: { sinceUs: BASE_US + 33 * US_PER_DAY }, limit: 1 }],
  ['café since day 10, limit 2', { filter: { project: 'Café – résumé', sinceUs: BASE_US + 10 * US_PER_DAY }, limit: 2 }],
];

/** History per bucket rule, with a project (read from the invocation columns) and a range. */
const HISTORY_ARGS: ReadonlyArray<readonly [string, Parameters<typeof q.history>[1]]> = [
  ['auto', {}],
  ['hour', { bucket: 'hour' }],
  ['day', { bucket: 'day' }],
  ['shop', { project: 'shop' }],
  ['days 33 to 40, hour', { bucket: 'hour', sinceUs: BASE_US + 33 * US_PER_DAY, untilUs: BASE_US + 40 * US_PER_DAY + 1 }],
];

/** Every question every surface can ask, as exact JSON, by a label naming the question. */
function answers(state: TelemetryState): Record<string, string> {
  const out: Record<string, string> = {};
  out.stats = exactJson(q.stats(state));
  // The agents object's key order is not what lists the agents in order: ranking does; still,
  // the same key order from both paths is expected.
  out['stats agent order'] = exactJson(Object.keys(q.stats(state).agents));
  out.workflows = exactJson(q.workflows(state));
  out.overhead = exactJson(q.overhead(state));
  for (const agent of [...AGENTS, 'no-such-agent']) {
    for (const days of TREND_DAYS) {
      for (const now of NOWS) out[`trends ${agent} ${days} ${now}`] = exactJson(q.trends(state, agent, days, now));
    }
  }
  out['ranking'] = exactJson(q.ranking(state));
  for (const tt of [...TASK_TYPES, 'nope']) out[`ranking ${tt}`] = exactJson(q.ranking(state, tt));
  for (const task of BEST_TASKS) {
    for (const domain of DOMAINS) {
      for (const minConfidence of MIN_CONFIDENCES) {
        out[`best ${task}/${domain}/${minConfidence}`] = exactJson(q.bestAgents(state, { task, domain, minConfidence, nowUs: NOW_US }));
      }
    }
  }
  for (const now of NOWS) out[`open ${now}`] = exactJson(q.open(state, now));
  out.agents = exactJson(q.agents(state));
  out['agents 3'] = exactJson(q.agents(state, 3));
  for (const [label, args] of VIEW_ARGS) {
    out[`handoffs ${label}`] = exactJson(q.handoffs(state, args));
    out[`gaps ${label}`] = exactJson(q.gaps(state, args));
    out[`estimates ${label}`] = exactJson(q.estimates(state, args));
    out[`bottlenecks ${label}`] = exactJson(q.bottlenecks(state, args));
  }
  for (const [label, args] of HISTORY_ARGS) out[`history ${label}`] = exactJson(q.history(state, args));
  for (const workflow of [...WORKFLOWS, 'nope']) out[`timeline ${workflow}`] = exactJson(q.timeline(state, workflow));
  out.counts = exactJson(state.counts);
  return out;
}

function batchEvents(files: TelemetryFiles): TelemetryEvent[][] {
  return SOURCE_KINDS.map((kind) => decodeEvents(kind, files.lines[kind]));
}

/**
 * What the files say once every replacement is applied: each invocation's last record at the
 * position of its first line, each invocation's last rating, the workflow events unchanged.
 */
function compacted(events: readonly TelemetryEvent[][]): TelemetryEvent[][] {
  const [invocations = [], metrics = [], workflowEvents = []] = events;
  const lastInvocation = new Map<string, TelemetryEvent>();
  for (const e of invocations) if (e.kind === 'invocation') lastInvocation.set(e.invocationId, e);
  const lastMetric = new Map<string, TelemetryEvent>();
  for (const e of metrics) if (e.kind === 'metric') lastMetric.set(e.invocationId, e);
  return [[...lastInvocation.values()], [...lastMetric.values()], [...workflowEvents]];
}

/** The answers, without the line counters (which count superseded lines too). */
function answersWithoutCounts(state: TelemetryState): Record<string, string> {
  const { counts: _counts, ...rest } = answers(state);
  return rest;
}

/** OAK_PROPERTY_SCALE=20 runs every property 20 times as often (for a long hunt; default 1). */
const SCALE = Math.max(1, Number(process.env.OAK_PROPERTY_SCALE ?? 1) || 1);
const runs = (n: number): number => Math.round(n * SCALE);

const choicesArb = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 });

// ---------------------------------------------------------------------------------------------

describe('incremental == batch', () => {
  it('the generator writes what it should (ids repeat, metrics may come first, unknown kinds...)', () => {
    // Guards the generator itself: a property over lines that never exercise replacement or
    // cross-file joins would pass for the wrong reason.
    const seen = {
      replaced: 0,
      agentChanged: 0,
      orphanMetric: 0,
      unknownKind: 0,
      noWorkflowId: 0,
      loose: 0,
      proto: 0,
      // cases (not events) where the workflow views have something to say
      estimateRatios: 0,
      gapTransitions: 0,
      gapCoordination: 0,
      adherenceJudged: 0,
      handoffFromNobody: 0,
    };
    fc.assert(
      fc.property(telemetryArb, (files) => {
        const [invs, metrics, wf] = batchEvents(files) as [TelemetryEvent[], TelemetryEvent[], TelemetryEvent[]];
        const byId = new Map<string, string>();
        for (const e of invs) {
          if (e.kind !== 'invocation') continue;
          const before = byId.get(e.invocationId);
          if (before !== undefined) seen.replaced++;
          if (before !== undefined && before !== e.agentName) seen.agentChanged++;
          byId.set(e.invocationId, e.agentName);
          if (e.workflowId === null && e.sessionId !== null) seen.loose++;
          if (e.agentName === '__proto__') seen.proto++;
        }
        for (const e of metrics) if (e.kind === 'metric' && !byId.has(e.invocationId)) seen.orphanMetric++;
        for (const e of wf) if (e.kind === 'unknown_workflow_event') seen.unknownKind++;
        seen.noWorkflowId += files.lines.workflow_events.length - wf.length;
        const state = fold([...invs, ...metrics, ...wf]);
        if (q.estimates(state).overall.workflows > 0) seen.estimateRatios++;
        if (q.gaps(state).transitions > 0) seen.gapTransitions++;
        if (q.gaps(state).coordination.workflows > 0) seen.gapCoordination++;
        if (q.handoffs(state).adherence.workflows > 0) seen.adherenceJudged++;
        if (wf.some((e) => e.kind === 'agent_handoff' && e.fromAgent === null)) seen.handoffFromNobody++;
      }),
      { numRuns: 100, seed: 1 },
    );
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(10);
  });

  it('(a) any interleaving of the three files folds to the answers of file-by-file replay', () => {
    fc.assert(
      fc.property(telemetryArb, choicesArb, (files, choices) => {
        const batch = fold(batchEvents(files).flat());
        const mixed = fold(interleave(batchEvents(files), choices));
        expect(answers(mixed)).toEqual(answers(batch));
      }),
      { numRuns: runs(120) },
    );
  });

  it('(c) replacing a record retracts it exactly: every line folds to what the last records alone give', () => {
    fc.assert(
      fc.property(telemetryArb, choicesArb, (files, choices) => {
        const replayed = fold(interleave(batchEvents(files), choices));
        const finalOnly = fold(compacted(batchEvents(files)).flat());
        expect(answersWithoutCounts(replayed)).toEqual(answersWithoutCounts(finalOnly));
      }),
      { numRuns: runs(120) },
    );
  });

  it('(c) replacing a record retracts it exactly: the smallest case, by hand (agents keeps first-seen order)', () => {
    // The logger's own pattern: log an invocation as running, then append its completed record.
    // planner's only invocation is replaced after tester appeared; it must keep its place.
    const line = (id: string, agent: string, status: string, timestamp: string) =>
      JSON.stringify({ timestamp, invocation_id: id, agent_name: agent, outcome: { status }, duration_seconds: status === 'unknown' ? null : 5 });
    const lines = [
      line('i1', 'planner', 'unknown', '2026-11-01T10:00:00.000000Z'),
      line('i2', 'tester', 'success', '2026-11-01T10:05:00.000000Z'),
      line('i1', 'planner', 'success', '2026-11-01T10:00:00.000000Z'),
    ];
    const replayed = fold(decodeEvents('invocations', lines));
    const finalOnly = fold(decodeEvents('invocations', [lines[2] as string, lines[1] as string]));
    expect(q.stats(replayed)).toEqual(q.stats(finalOnly));
    expect(q.agents(replayed).map((a) => a.agent_name)).toEqual(['planner', 'tester']);
    expect(q.agents(replayed)).toEqual(q.agents(finalOnly));
  });

  it('(a) querying along the way (as the daemon does for snapshots) changes no final answer', () => {
    fc.assert(
      fc.property(telemetryArb, choicesArb, fc.array(fc.nat(), { maxLength: 4 }), (files, choices, askAt) => {
        const batch = fold(batchEvents(files).flat());
        const events = interleave(batchEvents(files), choices);
        const points = new Set(askAt.map((n) => n % Math.max(1, events.length)));
        const mixed = fold(events, (state, i) => {
          if (points.has(i)) answers(state);
        });
        expect(answers(mixed)).toEqual(answers(batch));
      }),
      { numRuns: runs(60) },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Bytes: any split of each file into chunks, chunks of the three files interleaved.

interface FileBytes {
  readonly files: Record<SourceKind, Buffer | null>;
  readonly maxLineBytes: number | undefined;
}

/** A file's text around the generated lines: CRLF, blank lines, bad lines, no final newline. */
const noiseArb = fc.record({
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  inserts: fc.array(
    fc.record({
      at: fc.nat(),
      line: fc.constantFrom('', '   ', '{not json', '[1, 2]', '{"invocation_id": 7}', '"\u00e9t\u00e9"', '\u00ff\u00fe'),
    }),
    { maxLength: 3 },
  ),
  /** A file that does not exist at all (only when it would be empty). */
  absentWhenEmpty: fc.boolean(),
});
type Noise = typeof noiseArb extends fc.Arbitrary<infer T> ? T : never;

function fileBytes(lines: readonly string[], noise: Noise): Buffer | null {
  const all = [...lines];
  for (const { at, line } of noise.inserts) all.splice(at % (all.length + 1), 0, line);
  if (all.length === 0 && noise.absentWhenEmpty) return null;
  const eol = noise.crlf ? '\r\n' : '\n';
  const text = all.join(eol) + (noise.finalNewline && all.length > 0 ? eol : '');
  const bytes = Buffer.from(text, 'utf8');
  // The "ÿþ" line goes out as raw bytes ff fe: invalid UTF-8 the decoder must reject, wherever the cut falls.
  return noise.inserts.some((i) => i.line === '\u00ff\u00fe') ? latin1Marker(bytes) : bytes;
}

/** Replaces the UTF-8 encoding of "ÿþ" (c3 bf c3 be) by raw bytes ff fe: invalid UTF-8. */
function latin1Marker(bytes: Buffer): Buffer {
  const marker = Buffer.from('\u00ff\u00fe', 'utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes.subarray(i, i + marker.length).equals(marker)) {
      out.push(0xff, 0xfe);
      i += marker.length - 1;
    } else out.push(bytes[i] as number);
  }
  return Buffer.from(out);
}

const fileBytesArb: fc.Arbitrary<FileBytes> = fc
  .record({
    files: telemetryArb,
    noise: fc.tuple(noiseArb, noiseArb, noiseArb),
    maxLineBytes: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(40, 300, 520, 700) },
    ),
  })
  .map(({ files, noise, maxLineBytes }) => ({
    files: {
      invocations: fileBytes(files.lines.invocations, noise[0]),
      metrics: fileBytes(files.lines.metrics, noise[1]),
      workflow_events: fileBytes(files.lines.workflow_events, noise[2]),
    },
    maxLineBytes,
  }));

/** Cut positions per file (taken modulo its length + 1) and the order chunks arrive in. */
const cutsArb = fc.record({
  cuts: fc.tuple(...SOURCE_KINDS.map(() => fc.array(fc.nat({ max: 100_000 }), { maxLength: 12 }))),
  choices: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 40 }),
});

function chunksOf(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

interface IngestOutcome {
  readonly answers: Record<string, string>;
  readonly tallies: string;
  readonly rejections: string;
}

function describeIngest(ingest: Ingest, rejections: Array<{ rejection: Rejection; bytes: Buffer | null }>): IngestOutcome {
  const perFile = SOURCE_KINDS.map((kind) =>
    rejections
      .filter((r) => r.rejection.file === kind)
      .map((r) => ({ ...r.rejection, bytes: r.bytes === null ? null : r.bytes.toString('hex') })),
  );
  return {
    answers: answers(ingest.state),
    tallies: exactJson({
      perSource: ingest.totals.perSource,
      skipped: [...ingest.totals.skippedByReason.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    }),
    rejections: exactJson(perFile),
  };
}

describe('incremental == batch, from bytes', () => {
  const dirs = tempDirsPerFile();
  let dir: string;
  beforeAll(() => {
    dir = dirs.make('oak-incremental-');
  });

  it('(b) any split of each file into chunks, through LineSplitter + Ingest, answers as replayDirectory does', () => {
    fc.assert(
      fc.property(fileBytesArb, cutsArb, ({ files, maxLineBytes }, { cuts, choices }) => {
        const options = maxLineBytes === undefined ? {} : { maxLineBytes };
        for (const kind of SOURCE_KINDS) {
          const file = path.join(dir, SOURCE_FILES[kind]);
          fs.rmSync(file, { force: true });
          const bytes = files[kind];
          if (bytes !== null) fs.writeFileSync(file, bytes);
        }
        const batchRejections: Array<{ rejection: Rejection; bytes: Buffer | null }> = [];
        const batch = replayDirectory(dir, { ...options, onRejection: (rejection, bytes) => batchRejections.push({ rejection, bytes }) });

        const liveRejections: Array<{ rejection: Rejection; bytes: Buffer | null }> = [];
        const live = new Ingest(initialState(), { ...options, onRejection: (rejection, bytes) => liveRejections.push({ rejection, bytes }) });
        const splitters = SOURCE_KINDS.map(() => new LineSplitter(maxLineBytes ?? 1024 * 1024));
        const chunkLists = SOURCE_KINDS.map((kind, f) => {
          const bytes = files[kind];
          return bytes === null ? [] : chunksOf(bytes, cuts[f] as number[]).map((chunk) => ({ f, chunk }));
        });
        for (const { f, chunk } of interleave(chunkLists, choices)) {
          const kind = SOURCE_KINDS[f] as SourceKind;
          (splitters[f] as LineSplitter).push(chunk, (line) => live.line(kind, line));
        }
        SOURCE_KINDS.forEach((kind, f) => {
          const splitter = splitters[f] as LineSplitter;
          // An unterminated last line waits for its newline, in batch replay as live.
          const bytes = files[kind] ?? Buffer.alloc(0);
          const lastNewline = bytes.lastIndexOf(0x0a);
          expect(splitter.committedOffset, `${kind}: offset after the last complete line`).toBe(lastNewline + 1);
        });

        expect(describeIngest(live, liveRejections)).toEqual(describeIngest(batch, batchRejections));
      }),
      { numRuns: runs(80) },
    );
  });
});
