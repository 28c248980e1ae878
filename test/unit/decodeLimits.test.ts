import { describe, expect, it } from 'vitest';
import { decodeBytes, type DecodeOutcome } from '../../src/decode/decodeLine.js';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_DURATION_SECONDS,
  MAX_ID_CHARS,
  MAX_LIST_ENTRIES,
  MAX_NAME_CHARS,
  MAX_TIMESTAMP_CHARS,
  MIN_DURATION_SECONDS,
} from '../../src/decode/limits.js';
import { rejectionKind } from '../../src/decode/rejection.js';
import type { SourceKind } from '../../src/domain/sources.js';

const decodeJson = (kind: SourceKind, value: unknown): DecodeOutcome => decodeBytes(kind, Buffer.from(JSON.stringify(value), 'utf8'));

const INVOCATION = {
  timestamp: '2026-11-01T09:00:00Z',
  session_id: 'sess-1',
  invocation_id: 'inv-1',
  agent_name: 'coder',
  agent_type: 'development',
  task_description: 'Build the REST API',
  state_features: { task: { type: 'api_development' } },
  workflow_id: 'wf-1',
  duration_seconds: 12.5,
  outcome: { status: 'failure', error_message: 'boom' },
};
const METRIC = { timestamp: '2026-11-01T09:05:00Z', invocation_id: 'inv-1', success: true, quality_rating: 4 };
const START = {
  timestamp: '2026-11-01T09:00:00Z',
  event: 'workflow_start',
  workflow_id: 'wf-1',
  session_id: 'sess-1',
  project_name: 'Shop',
  agent_plan: ['planner', 'coder'],
  estimated_duration: 600,
};
const HANDOFF = { timestamp: '2026-11-01T09:05:00Z', event: 'agent_handoff', workflow_id: 'wf-1', session_id: 's', from_agent: 'planner', to_agent: 'coder', artifacts: [] };
const COMPLETE = { timestamp: '2026-11-01T09:10:00Z', event: 'workflow_complete', workflow_id: 'wf-1', session_id: 's', duration_seconds: 600, success: true, agents_executed: ['planner'] };

const long = (n: number) => 'x'.repeat(n);
const reasonOf = (outcome: DecodeOutcome): string => (outcome.type === 'rejected' ? outcome.reason : `not rejected (${outcome.type})`);

/** A record of `kind` with one field changed; `set` edits a copy. */
function variant<T extends object>(base: T, set: (copy: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  set(copy);
  return copy;
}

interface Bounded {
  readonly kind: SourceKind;
  readonly field: string;
  readonly limit: number;
  readonly make: (value: string) => Record<string, unknown>;
}

const BOUNDED: readonly Bounded[] = [
  { kind: 'invocations', field: 'invocation_id', limit: MAX_ID_CHARS, make: (v) => variant(INVOCATION, (r) => (r.invocation_id = v)) },
  { kind: 'invocations', field: 'agent_name', limit: MAX_NAME_CHARS, make: (v) => variant(INVOCATION, (r) => (r.agent_name = v)) },
  { kind: 'invocations', field: 'agent_type', limit: MAX_NAME_CHARS, make: (v) => variant(INVOCATION, (r) => (r.agent_type = v)) },
  { kind: 'invocations', field: 'session_id', limit: MAX_ID_CHARS, make: (v) => variant(INVOCATION, (r) => (r.session_id = v)) },
  { kind: 'invocations', field: 'workflow_id', limit: MAX_ID_CHARS, make: (v) => variant(INVOCATION, (r) => (r.workflow_id = v)) },
  {
    kind: 'invocations',
    field: 'state_features.task.type',
    limit: MAX_NAME_CHARS,
    make: (v) => variant(INVOCATION, (r) => (r.state_features = { task: { type: v } })),
  },
  { kind: 'metrics', field: 'invocation_id', limit: MAX_ID_CHARS, make: (v) => variant(METRIC, (r) => (r.invocation_id = v)) },
  { kind: 'workflow_events', field: 'workflow_id', limit: MAX_ID_CHARS, make: (v) => variant(START, (r) => (r.workflow_id = v)) },
  { kind: 'workflow_events', field: 'session_id', limit: MAX_ID_CHARS, make: (v) => variant(START, (r) => (r.session_id = v)) },
  { kind: 'workflow_events', field: 'project_name', limit: MAX_NAME_CHARS, make: (v) => variant(START, (r) => (r.project_name = v)) },
  { kind: 'workflow_events', field: 'agent_plan[1]', limit: MAX_NAME_CHARS, make: (v) => variant(START, (r) => (r.agent_plan = ['a', v])) },
  { kind: 'workflow_events', field: 'from_agent', limit: MAX_NAME_CHARS, make: (v) => variant(HANDOFF, (r) => (r.from_agent = v)) },
  { kind: 'workflow_events', field: 'to_agent', limit: MAX_NAME_CHARS, make: (v) => variant(HANDOFF, (r) => (r.to_agent = v)) },
  { kind: 'workflow_events', field: 'agents_executed[0]', limit: MAX_NAME_CHARS, make: (v) => variant(COMPLETE, (r) => (r.agents_executed = [v])) },
];

describe('decode limits: what identifies things is bounded', () => {
  it('the documented limits', () => {
    expect([MAX_NAME_CHARS, MAX_ID_CHARS, MAX_TIMESTAMP_CHARS, MAX_LIST_ENTRIES]).toEqual([256, 256, 64, 256]);
    expect([MIN_DURATION_SECONDS, MAX_DURATION_SECONDS]).toEqual([1e-6, 1e7]);
  });

  for (const { kind, field, limit, make } of BOUNDED) {
    it(`${kind} ${field}: ${limit} characters pass, one more is rejected naming the field, the limit and the length`, () => {
      expect(decodeJson(kind, make(long(limit))).type).toBe('event');
      const outcome = decodeJson(kind, make(long(limit + 1)));
      expect(reasonOf(outcome)).toBe(`${field} is ${limit + 1} characters long; the limit is ${limit}`);
      expect(rejectionKind(reasonOf(outcome))).toBe('bad_field');
    });
  }

  it('a 1 MB agent name is rejected without echoing it', () => {
    const reason = reasonOf(decodeJson('invocations', { ...INVOCATION, agent_name: long(1_000_000) }));
    expect(reason).toBe(`agent_name is 1000000 characters long; the limit is ${MAX_NAME_CHARS}`);
  });

  it('lengths count UTF-16 code units: 128 emoji are 256', () => {
    expect(decodeJson('invocations', { ...INVOCATION, agent_name: '😀'.repeat(128) }).type).toBe('event');
    expect(reasonOf(decodeJson('invocations', { ...INVOCATION, agent_name: '😀'.repeat(129) }))).toBe('agent_name is 258 characters long; the limit is 256');
  });

  it('agent_plan and agents_executed hold at most MAX_LIST_ENTRIES names', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);
    expect(decodeJson('workflow_events', { ...START, agent_plan: names(MAX_LIST_ENTRIES) }).type).toBe('event');
    expect(reasonOf(decodeJson('workflow_events', { ...START, agent_plan: names(MAX_LIST_ENTRIES + 1) }))).toBe('agent_plan has 257 entries; the limit is 256');
    expect(reasonOf(decodeJson('workflow_events', { ...COMPLETE, agents_executed: names(300) }))).toBe('agents_executed has 300 entries; the limit is 256');
  });

  it('a timestamp longer than MAX_TIMESTAMP_CHARS is rejected, in every file', () => {
    const ts = long(MAX_TIMESTAMP_CHARS + 1);
    const expected = `timestamp is ${MAX_TIMESTAMP_CHARS + 1} characters long; the limit is ${MAX_TIMESTAMP_CHARS}`;
    expect(reasonOf(decodeJson('invocations', { ...INVOCATION, timestamp: ts }))).toBe(expected);
    expect(reasonOf(decodeJson('metrics', { ...METRIC, timestamp: ts }))).toBe(expected);
    expect(reasonOf(decodeJson('workflow_events', { ...HANDOFF, timestamp: ts }))).toBe(expected);
  });

  it('free text stays bounded by the line only: task_description, error_message, artifacts, the event kind', () => {
    const text = long(100_000);
    expect(decodeJson('invocations', { ...INVOCATION, task_description: text, outcome: { status: 'failure', error_message: text } }).type).toBe('event');
    expect(decodeJson('workflow_events', { ...HANDOFF, artifacts: [text, text] }).type).toBe('event');
    expect(decodeJson('workflow_events', { ...HANDOFF, event: text }).type).toBe('event');
  });
});

describe('decode limits: durations', () => {
  const cases: ReadonlyArray<readonly [SourceKind, string, (v: number) => Record<string, unknown>]> = [
    ['invocations', 'duration_seconds', (v) => ({ ...INVOCATION, duration_seconds: v })],
    ['workflow_events', 'duration_seconds', (v) => ({ ...COMPLETE, duration_seconds: v })],
    ['workflow_events', 'estimated_duration', (v) => ({ ...START, estimated_duration: v })],
  ];
  for (const [kind, field, make] of cases) {
    it(`${kind} ${field}: 0, a microsecond and ${MAX_DURATION_SECONDS} s pass`, () => {
      for (const v of [0, MIN_DURATION_SECONDS, 0.5, MAX_DURATION_SECONDS]) expect(decodeJson(kind, make(v)).type, String(v)).toBe('event');
    });

    it(`${kind} ${field}: negative, above the maximum, or above 0 and below a microsecond is rejected`, () => {
      expect(reasonOf(decodeJson(kind, make(-1)))).toBe(`${field} must be from 0 to 10000000 seconds, got -1`);
      expect(reasonOf(decodeJson(kind, make(1e10)))).toBe(`${field} must be from 0 to 10000000 seconds, got 10000000000`);
      expect(reasonOf(decodeJson(kind, make(1.7e308)))).toBe(`${field} must be from 0 to 10000000 seconds, got 1.7e+308`);
      expect(reasonOf(decodeJson(kind, make(1e-300)))).toBe(`${field} must be 0 or at least 0.000001 seconds (a microsecond), got 1e-300`);
      expect(reasonOf(decodeJson(kind, make(5e-324)))).toMatch(/must be 0 or at least 0\.000001 seconds/);
    });
  }

  it('-0 is 0 and passes', () => {
    expect(decodeBytes('invocations', Buffer.from(JSON.stringify(INVOCATION).replace('12.5', '-0'))).type).toBe('event');
  });

  it('a null or absent duration or estimate is still "none", not an error', () => {
    expect(decodeJson('invocations', { ...INVOCATION, duration_seconds: null }).type).toBe('event');
    expect(decodeJson('workflow_events', { ...START, estimated_duration: null }).type).toBe('event');
  });
});

describe('decode limits: times', () => {
  it(`a time from ${EARLIEST_TIMESTAMP} up to (not including) ${LATEST_TIMESTAMP} passes`, () => {
    for (const ts of [EARLIEST_TIMESTAMP, '2199-12-31T23:59:59.999999Z', '2026-11-01T09:00:00+05:30']) {
      expect(decodeJson('invocations', { ...INVOCATION, timestamp: ts }).type, ts).toBe('event');
    }
  });

  it('a time before the epoch or from 2200 on is rejected, in invocations and workflow events', () => {
    const reason = (ts: string) => `timestamp ${ts} is outside ${EARLIEST_TIMESTAMP} to ${LATEST_TIMESTAMP}`;
    for (const ts of ['1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', LATEST_TIMESTAMP, '2999-11-01T09:00:00Z', '9999-12-31T23:59:59.999999Z', '0001-01-01T00:00:00Z']) {
      expect(reasonOf(decodeJson('invocations', { ...INVOCATION, timestamp: ts })), ts).toBe(reason(ts));
      expect(reasonOf(decodeJson('workflow_events', { ...START, timestamp: ts })), ts).toBe(reason(ts));
    }
  });

  it('a timestamp that is not an ISO-8601 time stays accepted as "no time", as the reference counts it', () => {
    const outcome = decodeJson('invocations', { ...INVOCATION, timestamp: 'yesterday' });
    expect(outcome.type === 'event' && outcome.event.kind === 'invocation' && Number.isNaN(outcome.event.timeUs)).toBe(true);
  });
});
