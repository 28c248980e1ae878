import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { finalRecords, fold, invocation, metric, update } from '../support/events.js';

function scenario() {
  const a1 = invocation({ agentName: 'alpha', status: 'success', taskType: 'api' });
  const a2 = invocation({ agentName: 'alpha', status: 'failure', taskType: 'api' });
  const b1 = invocation({ agentName: 'beta', status: 'success', taskType: 'api' });
  const g1 = invocation({ agentName: 'gamma', status: 'success', taskType: 'ui' });
  const g2 = invocation({ agentName: 'gamma', status: 'failure', taskType: 'ui' });
  const d1 = invocation({ agentName: 'delta', status: 'unknown' });
  const e1 = invocation({ agentName: 'eps', status: 'success' });
  const e2 = invocation({ agentName: 'eps', status: 'success' });
  const e3 = invocation({ agentName: 'eps', status: 'failure' });
  return [
    a1, a2, b1, g1, g2, d1, e1, e2, e3,
    metric(a1.invocationId, 5),
    metric(g1.invocationId, 5),
    metric(d1.invocationId, 3),
    metric(e1.invocationId, 4),
    metric(e2.invocationId, 4),
    metric(e3.invocationId, 5),
  ];
}

describe('ranking', () => {
  it('scores 0.6 x success_rate + 0.4 x quality / 5, best first, ties in first-seen order', () => {
    // alpha: 0.5, q 5    -> 0.3 + 0.4 = 0.7
    // beta:  1.0, q 0    -> 0.6
    // gamma: 0.5, q 5    -> 0.7 (tie with alpha, seen later)
    // delta: 0.0, q 3    -> 0 + 0.24 = 0.24
    // eps: rounded 0.667, q (4+4+5)/3 = 4.33 -> 0.4002 + 0.3464 = 0.7466
    //      (unrounded values would give 0.4 + 0.34666.. = 0.74666..)
    const ranked = q.ranking(fold(scenario()));
    expect(ranked.map((r) => r.agent_name)).toEqual(['eps', 'alpha', 'gamma', 'beta', 'delta']);
    expect(ranked[0]?.score).toBeCloseTo(0.7466, 12);
    expect(ranked.slice(1).map((r) => r.score)).toEqual([0.7, 0.7, 0.6, 0.24]);
  });

  it('with a task type: only agents whose common task types include it', () => {
    const ranked = q.ranking(fold(scenario()), 'api');
    expect(ranked).toEqual([
      { agent_name: 'alpha', score: 0.7 },
      { agent_name: 'beta', score: 0.6 },
    ]);
    expect(q.ranking(fold(scenario()), 'nothing')).toEqual([]);
  });

  it('a task type outside the top 3 does not qualify', () => {
    // a=2, b=2, c=2, d=1: common_task_types = [a, b, c]
    const state = fold(['a', 'a', 'b', 'b', 'c', 'c', 'd'].map((taskType) => invocation({ agentName: 'wide', taskType })));
    expect(q.ranking(state, 'd')).toEqual([]);
    expect(q.ranking(state, 'c')).toEqual([{ agent_name: 'wide', score: 0.6 }]);
  });

  it('ties keep first-seen order even for names that look like array indices', () => {
    const state = fold([invocation({ agentName: 'zeta' }), invocation({ agentName: '42' }), invocation({ agentName: '__proto__' })]);
    // each: 1 success, no rating -> 0.6
    expect(q.ranking(state)).toEqual([
      { agent_name: 'zeta', score: 0.6 },
      { agent_name: '42', score: 0.6 },
      { agent_name: '__proto__', score: 0.6 },
    ]);
  });

  it('after a rename, tie order equals a batch over the final records', () => {
    // X@0, Y@1, X@2 then record 0 renamed to Z: Z@0, Y@1, X@2, all 0.6
    const x0 = invocation({ agentName: 'X', status: 'unknown' });
    const events = [x0, invocation({ agentName: 'Y' }), invocation({ agentName: 'X' }), update(x0, { agentName: 'Z', status: 'success' })];
    const ranked = q.ranking(fold(events));
    expect(ranked.map((r) => r.agent_name)).toEqual(['Z', 'Y', 'X']);
    expect(ranked).toEqual(q.ranking(fold(finalRecords(events))));
  });

  it('is empty without invocations', () => {
    expect(q.ranking(fold([]))).toEqual([]);
  });
});
