import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, handoff, invocation, unknownEvent, workflowStart } from '../support/events.js';

const EMPTY = { total_workflows: 0, avg_duration_minutes: 0, success_rate: 0, avg_agents_per_workflow: 0, most_common_patterns: [] };

describe('workflows', () => {
  it('totals over completed workflows only', () => {
    const state = fold([
      workflowStart({ workflowId: 'wf1' }),
      handoff({ workflowId: 'wf1', fromAgent: 'A', toAgent: 'B' }),
      complete({ workflowId: 'wf1', durationSeconds: 120, success: true, agentsExecuted: ['A', 'B'] }),
      workflowStart({ workflowId: 'wf2' }),
      complete({ workflowId: 'wf2', durationSeconds: 300, success: false, agentsExecuted: ['A', 'B', 'C'] }),
      complete({ workflowId: 'wf3', durationSeconds: 60, success: true, agentsExecuted: ['A', 'B'] }),
      workflowStart({ workflowId: 'wf4' }),
      invocation({ workflowId: 'wf4' }),
    ]);
    // 3 completes: (120 + 300 + 60) / 3 / 60 = 2.6666.. -> 2.67 minutes
    // success 2/3 -> 0.667; agents (2 + 3 + 2) / 3 = 2.333.. -> 2.33
    expect(q.workflows(state)).toEqual({
      total_workflows: 3,
      avg_duration_minutes: 2.67,
      success_rate: 0.667,
      avg_agents_per_workflow: 2.33,
      most_common_patterns: [
        { pattern: 'A\u2192B', count: 2 },
        { pattern: 'A\u2192B\u2192C', count: 1 },
      ],
    });
  });

  it('with no completed workflow: all zeros and no patterns', () => {
    expect(q.workflows(fold([]))).toEqual(EMPTY);
    expect(q.workflows(fold([workflowStart({ workflowId: 'open' }), handoff({ workflowId: 'open' }), unknownEvent('paused', { workflowId: 'open' })]))).toEqual(EMPTY);
  });

  it('two completes for one workflow: the last wins', () => {
    const state = fold([
      workflowStart({ workflowId: 'wf' }),
      complete({ workflowId: 'wf', durationSeconds: 100, success: false, agentsExecuted: ['X'] }),
      complete({ workflowId: 'wf', durationSeconds: 200, success: true, agentsExecuted: ['Y', 'Z'] }),
    ]);
    // one workflow: 200 / 60 = 3.333.. -> 3.33; success 1.0; 2 agents; pattern X retracted
    expect(q.workflows(state)).toEqual({
      total_workflows: 1,
      avg_duration_minutes: 3.33,
      success_rate: 1,
      avg_agents_per_workflow: 2,
      most_common_patterns: [{ pattern: 'Y\u2192Z', count: 1 }],
    });
  });

  it('a complete before its start still counts once', () => {
    const state = fold([
      complete({ workflowId: 'wf', durationSeconds: 90, agentsExecuted: ['A'] }),
      workflowStart({ workflowId: 'wf' }),
    ]);
    // 90 / 60 = 1.5
    expect(q.workflows(state)).toMatchObject({ total_workflows: 1, avg_duration_minutes: 1.5, success_rate: 1, avg_agents_per_workflow: 1 });
  });

  it('pattern ties follow the order of workflow groups (first event of the workflow), not of completes', () => {
    const state = fold([
      unknownEvent('paused', { workflowId: 'first' }),
      workflowStart({ workflowId: 'second' }),
      complete({ workflowId: 'second', agentsExecuted: ['P'] }),
      complete({ workflowId: 'first', agentsExecuted: ['Q'] }),
    ]);
    expect(q.workflows(state).most_common_patterns).toEqual([
      { pattern: 'Q', count: 1 },
      { pattern: 'P', count: 1 },
    ]);
  });

  it('keeps the 5 most frequent patterns, by count then first occurrence', () => {
    // groups g0..g7: patterns a, b, c, d, e, f, f, b -> b=2 (first g1), f=2 (first g5), a, c, d (e dropped)
    const patterns = ['a', 'b', 'c', 'd', 'e', 'f', 'f', 'b'];
    const state = fold(patterns.map((p, n) => complete({ workflowId: `g${n}`, agentsExecuted: [p] })));
    expect(q.workflows(state).most_common_patterns).toEqual([
      { pattern: 'b', count: 2 },
      { pattern: 'f', count: 2 },
      { pattern: 'a', count: 1 },
      { pattern: 'c', count: 1 },
      { pattern: 'd', count: 1 },
    ]);
  });

  it('a replacing complete moves its workflow to another pattern, keeping the group position', () => {
    // g0: a then c (last wins), g1: c, g2: a
    const state = fold([
      complete({ workflowId: 'g0', agentsExecuted: ['a'] }),
      complete({ workflowId: 'g1', agentsExecuted: ['c'] }),
      complete({ workflowId: 'g2', agentsExecuted: ['a'] }),
      complete({ workflowId: 'g0', agentsExecuted: ['c'] }),
    ]);
    // final: g0 c, g1 c, g2 a -> c=2, a=1
    expect(q.workflows(state).most_common_patterns).toEqual([
      { pattern: 'c', count: 2 },
      { pattern: 'a', count: 1 },
    ]);
    // and ties: g3 a makes a=2 with first occurrence g2, after c (first g0)
    const tied = fold([
      complete({ workflowId: 'g0', agentsExecuted: ['a'] }),
      complete({ workflowId: 'g1', agentsExecuted: ['c'] }),
      complete({ workflowId: 'g2', agentsExecuted: ['a'] }),
      complete({ workflowId: 'g0', agentsExecuted: ['c'] }),
      complete({ workflowId: 'g3', agentsExecuted: ['a'] }),
    ]);
    expect(q.workflows(tied).most_common_patterns).toEqual([
      { pattern: 'c', count: 2 },
      { pattern: 'a', count: 2 },
    ]);
  });

  it('an empty agents_executed is the empty pattern; success is by truthiness of the last complete', () => {
    const state = fold([
      complete({ workflowId: 'w1', durationSeconds: 30, success: false, agentsExecuted: [] }),
      complete({ workflowId: 'w2', durationSeconds: 0, success: false, agentsExecuted: ['A'] }),
      complete({ workflowId: 'w3', durationSeconds: 0, success: true, agentsExecuted: ['A'] }),
    ]);
    // (30 + 0 + 0) / 3 / 60 = 0.1666.. -> 0.17; 1/3 -> 0.333; (0 + 1 + 1) / 3 = 0.666.. -> 0.67
    expect(q.workflows(state)).toEqual({
      total_workflows: 3,
      avg_duration_minutes: 0.17,
      success_rate: 0.333,
      avg_agents_per_workflow: 0.67,
      most_common_patterns: [
        { pattern: 'A', count: 2 },
        { pattern: '', count: 1 },
      ],
    });
  });
});
