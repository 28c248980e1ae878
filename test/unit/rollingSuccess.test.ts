import { describe, expect, it } from 'vitest';
import type { InvocationStatus } from '../../src/domain/events.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { finalRecords, fold, invocation, update } from '../support/events.js';

const run = (status: InvocationStatus, agentName = 'A', timestamp = '2026-01-10T12:00:00Z') => invocation({ agentName, status, timestamp });

describe('rolling success (agents)', () => {
  it('the last N decided invocations, in invocation order; partial and unknown are not decided', () => {
    // S, F, unknown, S, partial, F -> decided S F S F
    const state = fold([run('success'), run('failure'), run('unknown'), run('success'), run('partial'), run('failure')]);
    // default window 20: 2/4
    expect(q.agents(state)).toEqual([
      { agent_name: 'A', rolling_success_rate: 0.5, window: 4, invocation_count: 6, last_seen: '2026-01-10T12:00:00Z' },
    ]);
    // window 2: S F -> 0.5; window 3: F S F -> 1/3; window 1: F -> 0
    expect(q.agents(state, 2)[0]).toMatchObject({ rolling_success_rate: 0.5, window: 2 });
    expect(q.agents(state, 3)[0]).toMatchObject({ rolling_success_rate: 1 / 3, window: 3 });
    expect(q.agents(state, 1)[0]).toMatchObject({ rolling_success_rate: 0, window: 1 });
  });

  it('an update that finishes an old invocation lands at its own position, not at the end', () => {
    // F@0, unknown@1, F@2, F@3; then @1 becomes success: decided F S F F
    const i1 = run('unknown');
    const events = [run('failure'), i1, run('failure'), run('failure'), update(i1, { status: 'success' })];
    const state = fold(events);
    // window 2: F F -> 0 (appended at the end it would be F S -> 0.5)
    expect(q.agents(state, 2)[0]).toMatchObject({ rolling_success_rate: 0, window: 2 });
    // window 3: S F F -> 1/3
    expect(q.agents(state, 3)[0]).toMatchObject({ rolling_success_rate: 1 / 3, window: 3 });
    expect(q.agents(state, 3)).toEqual(q.agents(fold(finalRecords(events)), 3));
  });

  it('an agent with nothing decided has no rate', () => {
    expect(q.agents(fold([run('unknown', 'idle'), run('partial', 'idle')]))).toEqual([
      { agent_name: 'idle', rolling_success_rate: null, window: 0, invocation_count: 2, last_seen: '2026-01-10T12:00:00Z' },
    ]);
  });

  it('last_seen is the largest timestamp string of the agent', () => {
    const late = run('success', 'A', '2026-01-03T00:00:00Z');
    const state = fold([run('success', 'A', '2026-01-02T00:00:00Z'), late, run('success', 'A', '2026-01-01T00:00:00Z')]);
    expect(q.agents(state)[0]?.last_seen).toBe('2026-01-03T00:00:00Z');
    // the latest record renamed away: the next largest
    expect(q.agents(fold([run('success', 'A', '2026-01-02T00:00:00Z'), late, update(late, { agentName: 'B' })]))).toMatchObject([
      { agent_name: 'A', last_seen: '2026-01-02T00:00:00Z', invocation_count: 1 },
      { agent_name: 'B', last_seen: '2026-01-03T00:00:00Z', invocation_count: 1 },
    ]);
  });

  it('a status change retracts the earlier decision', () => {
    const i0 = run('success');
    const state = fold([i0, run('success'), update(i0, { status: 'failure' })]);
    // F S -> 0.5, 2 decided, still 2 invocations
    expect(q.agents(state)[0]).toMatchObject({ rolling_success_rate: 0.5, window: 2, invocation_count: 2 });
  });

  it('is empty without invocations', () => {
    expect(q.agents(fold([]))).toEqual([]);
  });

  it('agents in first-seen order: an update does not move its agent to the end', () => {
    // A@0 (unknown), B@1, then A@0 updated: final records A@0, B@1
    const a = run('unknown', 'A');
    const events = [a, run('success', 'B'), update(a, { status: 'success' })];
    expect(q.agents(fold(events)).map((v) => v.agent_name)).toEqual(['A', 'B']);
    expect(q.agents(fold(events))).toEqual(q.agents(fold(finalRecords(events))));
    // renamed record 0: C@0, B@1
    expect(q.agents(fold([...events, update(a, { agentName: 'C', status: 'success' })])).map((v) => v.agent_name)).toEqual(['C', 'B']);
  });
});
