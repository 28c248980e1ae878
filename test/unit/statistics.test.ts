import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { finalRecords, fold, invocation, metric, update } from '../support/events.js';

describe('stats: per-agent figures', () => {
  it('counts, rates, averages, task types and failures of one agent', () => {
    // given five invocations of one agent and three ratings
    const i1 = invocation({ agentName: 'coder', status: 'success', durationSeconds: 10, taskType: 'feature', timestamp: '2026-01-02T10:00:00Z' });
    const i2 = invocation({ agentName: 'coder', status: 'failure', durationSeconds: 0, taskType: 'bugfix', errorMessage: 'boom', timestamp: '2026-01-03T10:00:00Z' });
    const i3 = invocation({ agentName: 'coder', status: 'partial', durationSeconds: null, taskType: 'feature', errorMessage: 'not a failure', timestamp: '2026-01-01T10:00:00Z' });
    const i4 = invocation({ agentName: 'coder', status: 'success', durationSeconds: 20.5, taskType: 'refactor', timestamp: '2026-01-05T10:00:00Z' });
    const i5 = invocation({ agentName: 'coder', status: 'unknown', durationSeconds: 5, taskType: null, timestamp: '2026-01-04T10:00:00Z' });
    // when folded
    const state = fold([i1, i2, i3, i4, i5, metric(i1.invocationId, 4), metric(i2.invocationId, 3), metric(i4.invocationId, 5)]);
    // then
    // success_rate = 2 successes / (2 + 1 failure) = 0.6666.. -> 0.667 (partial, unknown in neither)
    // average_duration = (10 + 20.5 + 5) / 3 = 11.8333.. -> 11.83 (0 and null are not truthy)
    // average_quality = (4 + 3 + 5) / 3 = 4.0
    // task types: feature x2, bugfix x1, refactor x1 (ties in first-seen order), null not counted
    expect(q.stats(state)).toEqual({
      total_invocations: 5,
      date_range: { start: '2026-01-01T10:00:00Z', end: '2026-01-05T10:00:00Z' },
      agents: {
        coder: {
          invocation_count: 5,
          success_rate: 0.667,
          average_quality: 4,
          average_duration_seconds: 11.83,
          common_task_types: ['feature', 'bugfix', 'refactor'],
          common_failures: ['boom'],
          recommended_for: [],
        },
      },
    });
  });

  it('an agent with no decided invocation, no duration and no rating has zero rates', () => {
    const state = fold([invocation({ agentName: 'idle', status: 'partial' }), invocation({ agentName: 'idle', status: 'unknown' })]);
    const idle = q.stats(state).agents.idle;
    // 0 successes + 0 failures -> 0.0; no truthy durations -> 0.0; no metrics -> 0.0
    expect(idle).toMatchObject({ invocation_count: 2, success_rate: 0, average_duration_seconds: 0, average_quality: 0 });
  });

  it('rounds success rate to 3 and quality to 2 decimals', () => {
    const a = invocation({ agentName: 'r', status: 'success' });
    const b = invocation({ agentName: 'r', status: 'failure' });
    const c = invocation({ agentName: 'r', status: 'failure' });
    const state = fold([a, b, c, metric(a.invocationId, 4), metric(b.invocationId, 5), metric(c.invocationId, 5)]);
    // 1 / 3 = 0.3333.. -> 0.333; (4 + 5 + 5) / 3 = 4.6666.. -> 4.67
    expect(q.stats(state).agents.r).toMatchObject({ success_rate: 0.333, average_quality: 4.67 });
  });

  it('keeps the 3 most frequent task types, ties in first-seen order', () => {
    // sequence b, a, c, a, d, c, d: a=2 (first at 1), c=2 (first at 2), d=2 (first at 4), b=1
    const types = ['b', 'a', 'c', 'a', 'd', 'c', 'd'];
    const state = fold(types.map((taskType) => invocation({ agentName: 't', taskType })));
    expect(q.stats(state).agents.t?.common_task_types).toEqual(['a', 'c', 'd']);
  });

  it('lists failure messages in file order, drops empty and missing ones first, keeps 5', () => {
    const messages = ['e1', '', null, 'e2', 'e3', 'e4', 'e5', 'e6'];
    const state = fold([
      invocation({ agentName: 'f', status: 'partial', errorMessage: 'partial is no failure' }),
      ...messages.map((errorMessage) => invocation({ agentName: 'f', status: 'failure', errorMessage })),
    ]);
    expect(q.stats(state).agents.f?.common_failures).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  it('keeps file order of failures (not frequency) with more than 40 of them', () => {
    // 50 failures e0..e49, then the earliest is replaced by a success: e1..e5 remain first
    const invs = Array.from({ length: 50 }, (_, n) => invocation({ agentName: 'many', status: 'failure', errorMessage: `e${n}` }));
    const first = invs[0]!;
    const state = fold([...invs, update(first, { status: 'success', errorMessage: null })]);
    expect(q.stats(state).agents.many?.common_failures).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });
});

describe('stats: recommended_for', () => {
  it('reliable and best-for, in that order', () => {
    // 5 successes rated 4: rate 1.0 > 0.8 and quality 4.0 > 3.5; 'api' occurs 3 times >= 3
    const invs = ['api', 'ui', 'api', 'ui', 'api'].map((taskType) => invocation({ agentName: 'good', taskType }));
    const state = fold([...invs, ...invs.map((i) => metric(i.invocationId, 4))]);
    expect(q.stats(state).agents.good?.recommended_for).toEqual(['High success rate - reliable choice', 'Best for api tasks']);
  });

  it('best-for takes the first of tied most frequent types; low success rate with 5 invocations', () => {
    // x, y, y, x, x, y -> x=3 (first at 0), y=3 (first at 1): "Best for x"
    // 1 success / 6 decided = 0.167 < 0.5 and 6 >= 5 invocations
    const types = ['x', 'y', 'y', 'x', 'x', 'y'];
    const state = fold(types.map((taskType, n) => invocation({ agentName: 'weak', taskType, status: n === 0 ? 'success' : 'failure' })));
    expect(q.stats(state).agents.weak?.recommended_for).toEqual(['Best for x tasks', 'Consider alternative agents - low success rate']);
  });

  it('thresholds are strict: rate exactly 0.8, quality exactly 3.5, 4 invocations, type twice', () => {
    // reliable: 4/5 = 0.8 is not > 0.8
    const r = [1, 2, 3, 4, 5].map((n) => invocation({ agentName: 'eighty', status: n === 5 ? 'failure' : 'success' }));
    // quality: 1.0 > 0.8 but (3 + 4) / 2 = 3.5 is not > 3.5
    const s = [invocation({ agentName: 'half', taskType: 'z' }), invocation({ agentName: 'half', taskType: 'z' })];
    // low: 0/4 < 0.5 but only 4 invocations
    const l = [1, 2, 3, 4].map(() => invocation({ agentName: 'few', status: 'failure' }));
    const state = fold([
      ...r,
      ...r.map((i) => metric(i.invocationId, 5)),
      ...s,
      metric(s[0]!.invocationId, 3),
      metric(s[1]!.invocationId, 4),
      ...l,
    ]);
    const agents = q.stats(state).agents;
    expect(agents.eighty?.recommended_for).toEqual([]);
    expect(agents.half?.recommended_for).toEqual([]);
    expect(agents.few?.recommended_for).toEqual([]);
  });

  it('uses unrounded rates: 0.8004 rounds to 0.8 but is > 0.8', () => {
    // 2001 successes, 499 failures: 2001 / 2500 = 0.8004 -> displayed 0.8, still "reliable"
    const invs = Array.from({ length: 2500 }, (_, n) => invocation({ agentName: 'edge', status: n < 2001 ? 'success' : 'failure' }));
    const first = invs[0]!;
    const state = fold([...invs, metric(first.invocationId, 5)]);
    const edge = q.stats(state).agents.edge;
    expect(edge?.success_rate).toBe(0.8);
    expect(edge?.recommended_for).toEqual(['High success rate - reliable choice']);
  });
});

describe('stats: top level', () => {
  it('with no invocations: total 0, no agents and no date_range', () => {
    const view = q.stats(fold([metric('ghost', 5)]));
    expect(view).toEqual({ total_invocations: 0, agents: {} });
    expect('date_range' in view).toBe(false);
  });

  it('date_range compares timestamps as strings, not as times', () => {
    // 23:00-05:00 is 04:00Z the next day, later in time but smaller as a string
    const state = fold([
      invocation({ timestamp: '2026-01-06T01:00:00Z' }),
      invocation({ timestamp: '2026-01-05T23:00:00-05:00' }),
      invocation({ timestamp: '2026-01-05T22:00:00Z' }),
    ]);
    expect(q.stats(state).date_range).toEqual({ start: '2026-01-05T22:00:00Z', end: '2026-01-06T01:00:00Z' });
  });

  it('agents appear in first-seen order', () => {
    const state = fold([invocation({ agentName: 'zeta' }), invocation({ agentName: 'alpha' }), invocation({ agentName: 'zeta' }), invocation({ agentName: 'mid' })]);
    expect(Object.keys(q.stats(state).agents)).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('agent names __proto__ and constructor are ordinary own keys of the JSON document', () => {
    const p = invocation({ agentName: '__proto__', status: 'success' });
    const c = invocation({ agentName: 'constructor', status: 'failure' });
    const state = fold([p, c, invocation({ agentName: '__proto__', status: 'failure' }), metric(p.invocationId, 5)]);
    const view = q.stats(state);
    const json = JSON.parse(JSON.stringify(view)) as { agents: Record<string, { invocation_count: number; success_rate: number }> };
    expect(Object.hasOwn(json.agents, '__proto__')).toBe(true);
    expect(Object.hasOwn(json.agents, 'constructor')).toBe(true);
    expect(Object.keys(json.agents)).toEqual(['__proto__', 'constructor']);
    // __proto__: 1 success / 2 decided = 0.5, one rating 5; constructor: 0 / 1
    expect(Object.getOwnPropertyDescriptor(json.agents, '__proto__')?.value).toMatchObject({ invocation_count: 2, success_rate: 0.5, average_quality: 5 });
    expect(Object.getOwnPropertyDescriptor(json.agents, 'constructor')?.value).toMatchObject({ invocation_count: 1, success_rate: 0 });
    expect(view.total_invocations).toBe(3);
  });
});

describe('stats: metrics', () => {
  it('a metric before its invocation counts once the invocation arrives; a repeated metric: the last wins', () => {
    const i1 = invocation({ agentName: 'm' });
    const i2 = invocation({ agentName: 'm' });
    const state = fold([metric(i1.invocationId, 2), i1, metric(i1.invocationId, 5), metric(i2.invocationId, 1), i2, metric('ghost', 1)]);
    // i1 -> 5 (last of 2, 5), i2 -> 1 (arrived before it): (5 + 1) / 2 = 3.0; 'ghost' rates nothing
    expect(q.stats(state).agents.m?.average_quality).toBe(3);
  });

  it('the only rating waiting for its invocation counts when the invocation arrives', () => {
    const i1 = invocation({ agentName: 'w' });
    const i2 = invocation({ agentName: 'w' });
    // i1 is rated before it is logged, with no other rating waiting; i2 is logged unrated in between
    const state = fold([metric(i1.invocationId, 4), i2, i1]);
    expect(q.stats(state).agents.w?.average_quality).toBe(4);
  });

  it('a rating follows its invocation when the invocation is renamed', () => {
    const i1 = invocation({ agentName: 'old', status: 'unknown' });
    const state = fold([i1, metric(i1.invocationId, 4), update(i1, { agentName: 'new', status: 'success' })]);
    const view = q.stats(state);
    expect(Object.keys(view.agents)).toEqual(['new']);
    expect(view.agents.new).toMatchObject({ invocation_count: 1, success_rate: 1, average_quality: 4 });
  });
});

describe('stats: replacement (a later record with the same invocation_id)', () => {
  it('status unknown -> success with duration: the earlier record is retracted', () => {
    const i1 = invocation({ agentName: 'a', status: 'unknown', durationSeconds: null });
    const state = fold([i1, update(i1, { status: 'success', durationSeconds: 42 })]);
    // one invocation, 1/1 decided, duration 42
    expect(q.stats(state)).toMatchObject({
      total_invocations: 1,
      agents: { a: { invocation_count: 1, success_rate: 1, average_duration_seconds: 42 } },
    });
  });

  it('failure message retracted when the failure becomes a success', () => {
    const i1 = invocation({ agentName: 'a', status: 'failure', errorMessage: 'flaky' });
    const i2 = invocation({ agentName: 'a', status: 'failure', errorMessage: 'real' });
    const state = fold([i1, i2, update(i1, { status: 'success', errorMessage: null })]);
    expect(q.stats(state).agents.a).toMatchObject({ success_rate: 0.5, common_failures: ['real'] });
  });

  it('renamed agent: first-seen agent order equals a batch over the final records', () => {
    // A@0, B@1, A@2; then record 0 becomes C: final C@0, B@1, A@2
    const i0 = invocation({ agentName: 'A', status: 'unknown' });
    const events = [i0, invocation({ agentName: 'B' }), invocation({ agentName: 'A' }), update(i0, { agentName: 'C', status: 'success' })];
    const live = q.stats(fold(events));
    expect(Object.keys(live.agents)).toEqual(['C', 'B', 'A']);
    expect(live).toEqual(q.stats(fold(finalRecords(events))));
  });

  it('changed task type: ties in task types follow the final records', () => {
    // x@0, y@1, x@2, y@3, then record 0 becomes z: y=2 (first 1), z=1 (first 0), x=1 (first 2)
    // then x@4: y=2 (first 1), x=2 (first 2), z=1 -> [y, x, z]
    const i0 = invocation({ agentName: 't', taskType: 'x' });
    const events = [
      i0,
      invocation({ agentName: 't', taskType: 'y' }),
      invocation({ agentName: 't', taskType: 'x' }),
      invocation({ agentName: 't', taskType: 'y' }),
      update(i0, { taskType: 'z' }),
    ];
    expect(q.stats(fold(events)).agents.t?.common_task_types).toEqual(['y', 'z', 'x']);
    const more = [...events, invocation({ agentName: 't', taskType: 'x' })];
    const live = q.stats(fold(more));
    expect(live.agents.t?.common_task_types).toEqual(['y', 'x', 'z']);
    expect(live).toEqual(q.stats(fold(finalRecords(more))));
  });

  it('a replaced timestamp moves the date range', () => {
    const i0 = invocation({ timestamp: '2026-01-01T00:00:00Z' });
    const events = [i0, invocation({ timestamp: '2026-01-03T00:00:00Z' }), update(i0, { timestamp: '2026-01-05T00:00:00Z' })];
    expect(q.stats(fold(events)).date_range).toEqual({ start: '2026-01-03T00:00:00Z', end: '2026-01-05T00:00:00Z' });
  });

  it('replacing the only invocation of an agent removes that agent', () => {
    const i0 = invocation({ agentName: 'gone', taskType: 'x', durationSeconds: 3 });
    const state = fold([i0, update(i0, { agentName: 'kept' })]);
    const view = q.stats(state);
    expect(Object.keys(view.agents)).toEqual(['kept']);
    expect(view.agents.kept).toMatchObject({ invocation_count: 1, common_task_types: ['x'], average_duration_seconds: 3 });
  });
});
