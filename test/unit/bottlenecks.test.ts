/**
 * Bottlenecks: slowest agents, slowest hand-overs, failures that end workflows, workflows over
 * the overhead threshold. Given literal events, when asked, then what the comments work out.
 */
import { describe, expect, it } from 'vitest';
import type { InvocationStatus } from '../../src/domain/events.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, invocation, workflowStart } from '../support/events.js';

const T0 = Date.parse('2026-01-10T00:00:00Z');
/** An ISO time `seconds` after T0. */
const after = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

/** Invocations of one workflow: [agent, start second, duration, status]. */
function runs(workflowId: string, list: ReadonlyArray<readonly [string, number, number | null, InvocationStatus?]>) {
  return list.map(([agentName, start, durationSeconds, status]) =>
    invocation({ workflowId, agentName, timestamp: after(start), durationSeconds, status: status ?? 'success' }),
  );
}

describe('bottlenecks: slow agents', () => {
  const events = [
    ...runs('w', [
      ['a', 0, 100],
      ['a', 0, 400],
      ['a', 0, 200],
      ['a', 0, 300],
      ['b', 0, 250],
      ['b', 0, 250],
      ['c', 0, null],
      ['c', 0, 0],
      ['d', 0, 50],
    ]),
  ];

  it('p50 and p90 of durations (null and 0 left out, as `stats` averages them); highest p50 first, then p90', () => {
    // a [100, 200, 300, 400]: p50 250, p90 at rank 2.7: 300 + 100 x 0.7 = 370; b [250, 250] ties a's p50
    expect(q.bottlenecks(fold(events)).slow_agents).toEqual({
      count: 3,
      items: [
        { agent_name: 'a', invocations: 4, p50_seconds: 250, p90_seconds: 370 },
        { agent_name: 'b', invocations: 2, p50_seconds: 250, p90_seconds: 250 },
        { agent_name: 'd', invocations: 1, p50_seconds: 50, p90_seconds: 50 },
      ],
    });
  });

  it('a filter keeps the invocations of the workflows it keeps; without one, every invocation counts', () => {
    const state = fold([
      ...events,
      workflowStart({ workflowId: 'x1', projectName: 'x' }),
      ...runs('x1', [['d', 0, 1000]]),
      invocation({ agentName: 'e', durationSeconds: 5 }), // no workflow at all
    ]);
    expect(q.bottlenecks(state, { filter: { project: 'x' } }).slow_agents.items).toEqual([
      { agent_name: 'd', invocations: 1, p50_seconds: 1000, p90_seconds: 1000 },
    ]);
    // d [50, 1000]: p50 525, p90 50 + 950 x 0.9 = 905
    expect(q.bottlenecks(state).slow_agents.items.map((a) => [a.agent_name, a.p50_seconds, a.p90_seconds])).toEqual([
      ['d', 525, 905],
      ['a', 250, 370],
      ['b', 250, 250],
      ['e', 5, 5],
    ]);
  });
});

describe('bottlenecks: slow transitions', () => {
  it('largest median gap first; ties: more transitions first, then names', () => {
    const state = fold([
      ...runs('t1', [['p', 0, 60], ['q', 660, 60]]), // p->q 600
      ...runs('t2', [['u', 0, 60], ['v', 660, 60]]), // u->v 600
      ...runs('t3', [['u', 0, 60], ['v', 660, 60], ['r', 1000, 0], ['s', 1100, 0]]), // u->v 600, v->r 280, r->s 100
      ...runs('t4', [['r', 0, 100], ['s', 300, 0], ['r', 400, 0], ['s', 1300, 0]]), // r->s 200, s->r 100, r->s 900
    ]);
    const view = q.bottlenecks(state);
    // r->s [100, 200, 900]: median 200, total 1200 (the largest total, which `gaps` would list first)
    expect(view.slow_transitions.items.map((t) => [t.from_agent, t.to_agent, t.count, t.median_seconds, t.total_seconds])).toEqual([
      ['u', 'v', 2, 600, 1200],
      ['p', 'q', 1, 600, 600],
      ['v', 'r', 1, 280, 280],
      ['r', 's', 3, 200, 1200],
      ['s', 'r', 1, 100, 100],
    ]);
    expect(q.bottlenecks(state, { limit: 2 }).slow_transitions.count).toBe(5);
  });
});

describe('bottlenecks: failures that end workflows', () => {
  it('the agent of the last invocation (by timestamp) of a workflow that completed unsuccessfully, when it failed', () => {
    const state = fold([
      // f1: a fails last
      ...runs('f1', [['b', 0, 10], ['a', 100, 10, 'failure']]),
      complete({ workflowId: 'f1', success: false }),
      // f2: b fails last in time, though written first
      ...runs('f2', [['b', 500, 10, 'failure'], ['a', 100, 10]]),
      complete({ workflowId: 'f2', success: false }),
      // f3: c failed, but a succeeded after it: no one ended it by failing
      ...runs('f3', [['c', 0, 10, 'failure'], ['a', 100, 10]]),
      complete({ workflowId: 'f3', success: false }),
      // f4: a failed last, yet the workflow succeeded
      ...runs('f4', [['a', 0, 10, 'failure']]),
      complete({ workflowId: 'f4', success: true }),
      // f5: failed with nothing run under its id and no start: unsuccessful all the same
      complete({ workflowId: 'f5', success: false }),
      // f6: open, its last run failed: not completed
      ...runs('f6', [['a', 0, 10, 'failure']]),
    ]);
    // f1, f2, f3, f5 completed unsuccessfully; a ended f1 and b ended f2: 1 of 4 each, tie by name
    expect(q.bottlenecks(state).failure_enders).toEqual({
      unsuccessful_workflows: 4,
      count: 2,
      items: [
        { agent_name: 'a', workflows: 1, share: 0.25 },
        { agent_name: 'b', workflows: 1, share: 0.25 },
      ],
    });
  });
});

describe('bottlenecks: workflows over the threshold', () => {
  /** A workflow of `seconds` (the complete's duration) with `agent` seconds inside agents. */
  function timed(workflowId: string, seconds: number, agent: number) {
    return [
      workflowStart({ workflowId, projectName: workflowId === 'o1' ? 'one' : 'rest' }),
      ...runs(workflowId, [['a', 0, agent]]),
      complete({ workflowId, durationSeconds: seconds }),
    ];
  }
  // own overhead (seconds - agent) / seconds: o1 40 %, o2 30 %, o3 90 %; o4 has no agent time: not counted
  const state = fold([...timed('o1', 1000, 600), ...timed('o2', 1000, 700), ...timed('o3', 1000, 100), ...timed('o4', 1000, 0)]);

  it('strictly above the threshold, highest first', () => {
    expect(q.bottlenecks(state).over_threshold).toEqual({
      threshold_pct: 30,
      count: 2,
      items: [
        { workflow_id: 'o3', project: 'rest', overhead_pct: 90, workflow_seconds: 1000, agent_seconds: 100 },
        { workflow_id: 'o1', project: 'one', overhead_pct: 40, workflow_seconds: 1000, agent_seconds: 600 },
      ],
    });
  });

  it('another threshold, a filter, a limit', () => {
    expect(q.bottlenecks(state, { thresholdPct: 29.99 }).over_threshold.count).toBe(3);
    expect(q.bottlenecks(state, { thresholdPct: 50 }).over_threshold.items.map((w) => w.workflow_id)).toEqual(['o3']);
    expect(q.bottlenecks(state, { filter: { project: 'one' } }).over_threshold.items.map((w) => w.workflow_id)).toEqual(['o1']);
    expect(q.bottlenecks(state, { limit: 1 }).over_threshold).toMatchObject({ count: 2, items: [{ workflow_id: 'o3' }] });
  });

  it('a workflow exactly at the threshold is not over it, whatever the float arithmetic', () => {
    // 28 of 100 s: (100 - 72) / 100 x 100 is 28.000000000000004 in doubles; the figure is 28
    const at28 = fold(timed('o5', 100, 72));
    expect(q.bottlenecks(at28, { thresholdPct: 28 }).over_threshold.count).toBe(0);
    expect(q.bottlenecks(at28, { thresholdPct: 27.99 }).over_threshold.items).toMatchObject([{ overhead_pct: 28 }]);
  });
});
