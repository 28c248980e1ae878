/**
 * The hand-off view: per (from -> to) pair and per workflow, and plan adherence. Given literal
 * events, when asked, then the figures worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { adherenceOf } from '../../src/projections/folds/planAdherence.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, handoff, us, workflowStart } from '../support/events.js';

const at = (day: number, hms: string): string => `2026-01-${String(day).padStart(2, '0')}T${hms}Z`;

describe('adherenceOf: agents executed against the plan', () => {
  it.each([
    // plan, executed, adherence, skipped, added
    [['a', 'b', 'c'], ['a', 'b', 'c'], 'same_order', [], []],
    [['a', 'b', 'c'], ['a', 'c', 'b'], 'reordered', [], []],
    [['a', 'b', 'c'], ['a', 'c'], 'skipped', ['b'], []],
    [['a', 'b'], ['a', 'b', 'd'], 'added', [], ['d']],
    [['a', 'b'], ['d', 'a'], 'skipped_and_added', ['b'], ['d']],
    // repeats count: a planned twice and run once is one skip; run twice, planned once, one addition
    [['a', 'b', 'a'], ['a', 'b'], 'skipped', ['a'], []],
    [['a', 'b'], ['a', 'a', 'b'], 'added', [], ['a']],
    [['a', 'a', 'b'], ['a', 'b', 'a'], 'reordered', [], []],
    [['a'], [], 'skipped', ['a'], []],
  ] as const)('plan %j, executed %j: %s', (plan, executed, adherence, skipped, added) => {
    expect(adherenceOf(plan, executed)).toEqual({ adherence, skipped, added });
  });
});

/**
 * w1 (shop, succeeded): plan a,b,c run as planned; hand-offs null->a (1 artifact), a->b (2), b->c (0).
 * w2 (shop, failed): plan a,b run b,a; hand-offs a->b (1).
 * w3 (blog, open): plan x; hand-offs a->b (3).
 * w4 (no start, succeeded): no plan, a->b (0).
 */
function events() {
  return [
    workflowStart({ workflowId: 'w1', projectName: 'shop', agentPlan: ['a', 'b', 'c'], timestamp: at(1, '10:00:00') }),
    handoff({ workflowId: 'w1', fromAgent: null, toAgent: 'a', artifacts: ['brief'], timestamp: at(1, '10:00:01') }),
    handoff({ workflowId: 'w1', fromAgent: 'a', toAgent: 'b', artifacts: ['x', 'y'], timestamp: at(1, '10:10:00') }),
    workflowStart({ workflowId: 'w2', projectName: 'shop', agentPlan: ['a', 'b'], timestamp: at(2, '10:00:00') }),
    handoff({ workflowId: 'w1', fromAgent: 'b', toAgent: 'c', artifacts: [], timestamp: at(1, '10:20:00') }),
    complete({ workflowId: 'w1', success: true, agentsExecuted: ['a', 'b', 'c'], timestamp: at(1, '10:30:00') }),
    handoff({ workflowId: 'w2', fromAgent: 'a', toAgent: 'b', artifacts: ['z'], timestamp: at(2, '10:10:00') }),
    complete({ workflowId: 'w2', success: false, agentsExecuted: ['b', 'a'], timestamp: at(2, '10:30:00') }),
    workflowStart({ workflowId: 'w3', projectName: 'blog', agentPlan: ['x'], timestamp: at(3, '10:00:00') }),
    handoff({ workflowId: 'w3', fromAgent: 'a', toAgent: 'b', artifacts: ['1', '2', '3'], timestamp: at(3, '10:10:00') }),
    handoff({ workflowId: 'w4', fromAgent: 'a', toAgent: 'b', timestamp: at(4, '10:10:00') }),
    complete({ workflowId: 'w4', success: true, timestamp: at(4, '10:30:00') }),
  ];
}

describe('handoffs: pairs', () => {
  it('counts hand-offs, workflows and artifacts; success is over the completed workflows', () => {
    // when asked without a filter
    const view = q.handoffs(fold(events()));
    // then a->b: 4 hand-offs in w1, w2, w3, w4; artifacts 2 + 1 + 3 + 0 = 6; completed w1, w2, w4,
    // of which w1 and w4 succeeded: 2/3. The rest once each; ties by from (null first), then to.
    expect(view.handoffs).toBe(6);
    expect(view.pairs).toEqual({
      count: 3,
      items: [
        { from_agent: 'a', to_agent: 'b', handoffs: 4, workflows: 4, artifacts: 6, completed: 3, success_rate: 2 / 3 },
        { from_agent: null, to_agent: 'a', handoffs: 1, workflows: 1, artifacts: 1, completed: 1, success_rate: 1 },
        { from_agent: 'b', to_agent: 'c', handoffs: 1, workflows: 1, artifacts: 0, completed: 1, success_rate: 1 },
      ],
    });
  });

  it('a pair seen twice in one workflow counts one workflow; an open one gives no rate', () => {
    const view = q.handoffs(
      fold([
        handoff({ workflowId: 'w', fromAgent: 'a', toAgent: 'b' }),
        handoff({ workflowId: 'w', fromAgent: 'a', toAgent: 'b' }),
      ]),
    );
    expect(view.pairs.items).toEqual([{ from_agent: 'a', to_agent: 'b', handoffs: 2, workflows: 1, artifacts: 0, completed: 0, success_rate: null }]);
  });
});

describe('handoffs: workflows and adherence', () => {
  it('adherence is judged for completed workflows with a plan; each workflow lists its chain, newest first', () => {
    const view = q.handoffs(fold(events()));
    // w1 same order, w2 reordered; w3 is open, w4 has no plan
    expect(view.adherence).toEqual({ workflows: 2, same_order: 1, reordered: 1, skipped: 0, added: 0, skipped_and_added: 0 });
    // newest first by the first line of each workflow in workflow_events.jsonl: w4, w3, w2, w1
    expect(view.workflows.count).toBe(4);
    expect(view.workflows.items.map((w) => [w.workflow_id, w.project, w.adherence])).toEqual([
      ['w4', null, null],
      ['w3', 'blog', null],
      ['w2', 'shop', 'reordered'],
      ['w1', 'shop', 'same_order'],
    ]);
    const w1 = view.workflows.items[3];
    expect(w1?.chain).toEqual([
      { from_agent: null, to_agent: 'a', artifacts: 1, at: '2026-01-01T10:00:01.000000Z' },
      { from_agent: 'a', to_agent: 'b', artifacts: 2, at: '2026-01-01T10:10:00.000000Z' },
      { from_agent: 'b', to_agent: 'c', artifacts: 0, at: '2026-01-01T10:20:00.000000Z' },
    ]);
    expect(view.workflows.items[1]).toMatchObject({ plan: ['x'], executed: null, skipped: [], added: [] });
  });

  it('a workflow with neither plan nor hand-offs is not listed', () => {
    const view = q.handoffs(fold([workflowStart({ workflowId: 'w' }), complete({ workflowId: 'w' })]));
    expect(view).toEqual({
      handoffs: 0,
      pairs: { count: 0, items: [] },
      adherence: { workflows: 0, same_order: 0, reordered: 0, skipped: 0, added: 0, skipped_and_added: 0 },
      workflows: { count: 0, items: [] },
    });
  });
});

describe('handoffs: filters and limit', () => {
  it('--project keeps that project\'s workflows only', () => {
    const view = q.handoffs(fold(events()), { filter: { project: 'blog' } });
    expect(view.handoffs).toBe(1);
    expect(view.pairs.items).toEqual([{ from_agent: 'a', to_agent: 'b', handoffs: 1, workflows: 1, artifacts: 3, completed: 0, success_rate: null }]);
    expect(view.workflows.items.map((w) => w.workflow_id)).toEqual(['w3']);
    expect(q.handoffs(fold(events()), { filter: { project: 'nobody' } }).handoffs).toBe(0);
  });

  it('--since keeps workflows started at or after it (by the complete without a start)', () => {
    const view = q.handoffs(fold(events()), { filter: { sinceUs: us(at(2, '10:00:00')) } });
    // w2 (started exactly then), w3, w4 (completed day 4)
    expect(view.workflows.items.map((w) => w.workflow_id)).toEqual(['w4', 'w3', 'w2']);
    expect(view.handoffs).toBe(3);
  });

  it('--limit caps the lists, not the counts', () => {
    const view = q.handoffs(fold(events()), { limit: 1 });
    expect(view.pairs).toMatchObject({ count: 3, items: [{ from_agent: 'a', to_agent: 'b' }] });
    expect(view.workflows.count).toBe(4);
    expect(view.workflows.items.map((w) => w.workflow_id)).toEqual(['w4']);
    expect(view.adherence.workflows).toBe(2);
  });
});
