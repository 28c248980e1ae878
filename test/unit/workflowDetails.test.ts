/**
 * workflowDetails folds what workflow events say beyond timing. Given literal events, when
 * folded, then the columns read back as the last start / last complete said, and hand-offs
 * form one chain per workflow in file order.
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/projections/folds/changes.js';
import * as details from '../../src/projections/folds/workflowDetails.js';
import type { WorkflowDetailsState } from '../../src/projections/folds/workflowDetails.js';
import { complete, fold, handoff, invocation, metric, us, workflowStart } from '../support/events.js';

const at = (hms: string): string => `2026-01-10T${hms}Z`;

/** Workflow number of an id (the ledger's pool). */
function refOf(state: ReturnType<typeof fold>, workflowId: string): number {
  const ref = state.ledger.table.workflows.find(workflowId);
  expect(ref, workflowId).toBeGreaterThanOrEqual(0);
  return ref;
}

/** The chain of one workflow, walked through the next-row links. */
function chainOf(d: WorkflowDetailsState, ref: number): Array<[string | null, string | null, number, number]> {
  const out: Array<[string | null, string | null, number, number]> = [];
  for (let row = d.firstHandoff.get(ref); row >= 0; row = d.handoffNext.get(row)) {
    out.push([d.names.atOrNull(d.handoffFrom.get(row)), d.names.atOrNull(d.handoffTo.get(row)), d.handoffArtifacts.get(row), d.handoffTime.get(row)]);
  }
  return out;
}

describe('workflowDetails: starts and completes', () => {
  it('the last start gives project, plan and estimate; the last complete gives agents executed and success', () => {
    // given two starts and two completes of one workflow
    const state = fold([
      workflowStart({ workflowId: 'w', projectName: 'old', agentPlan: ['a'], estimatedDuration: 60 }),
      workflowStart({ workflowId: 'w', projectName: 'shop', agentPlan: ['a', 'b'], estimatedDuration: 600 }),
      complete({ workflowId: 'w', success: true, agentsExecuted: ['a'] }),
      complete({ workflowId: 'w', success: false, agentsExecuted: ['b', 'a'] }),
    ]);
    // then the later line of each kind wins
    const ref = refOf(state, 'w');
    expect(details.projectOf(state.details, ref)).toBe('shop');
    expect(details.planOf(state.details, ref)).toEqual(['a', 'b']);
    expect(state.details.estimate.get(ref)).toBe(600);
    expect(details.executedOf(state.details, ref)).toEqual(['b', 'a']);
    expect(state.details.success.get(ref)).toBe(details.FAILED);
  });

  it('absent parts read as absent: no start, a null project or estimate, no complete yet', () => {
    const state = fold([
      complete({ workflowId: 'no-start', success: true, agentsExecuted: [] }),
      workflowStart({ workflowId: 'bare', projectName: null, estimatedDuration: null }),
    ]);
    const noStart = refOf(state, 'no-start');
    expect(state.details.project.get(noStart)).toBe(details.NO_START);
    expect(details.projectOf(state.details, noStart)).toBeNull();
    expect(details.planOf(state.details, noStart)).toEqual([]);
    expect(details.executedOf(state.details, noStart)).toEqual([]);
    expect(state.details.success.get(noStart)).toBe(details.SUCCEEDED);

    const bare = refOf(state, 'bare');
    expect(state.details.project.get(bare)).toBe(-1);
    expect(details.projectOf(state.details, bare)).toBeNull();
    expect(state.details.estimate.get(bare)).toBeNaN();
    expect(details.executedOf(state.details, bare)).toBeNull();
    expect(state.details.success.get(bare)).toBe(details.NOT_COMPLETED);
  });

  it('names that look like JSON or prototype keys are plain names', () => {
    const state = fold([workflowStart({ workflowId: 'w', projectName: '["a"]', agentPlan: ['__proto__', 'constructor', '["a"]'] })]);
    const ref = refOf(state, 'w');
    expect(details.projectOf(state.details, ref)).toBe('["a"]');
    expect(details.planOf(state.details, ref)).toEqual(['__proto__', 'constructor', '["a"]']);
  });
});

describe('workflowDetails: hand-offs', () => {
  it('one chain per workflow, in file order, even when workflows interleave', () => {
    // given hand-offs of two workflows, interleaved, the second one's out of time order
    const state = fold([
      handoff({ workflowId: 'w1', fromAgent: null, toAgent: 'a', artifacts: ['brief.md'], timestamp: at('10:00:00') }),
      handoff({ workflowId: 'w2', fromAgent: 'x', toAgent: 'y', timestamp: at('11:00:00') }),
      handoff({ workflowId: 'w1', fromAgent: 'a', toAgent: 'b', artifacts: ['1', '2', '3'], timestamp: at('10:30:00') }),
      handoff({ workflowId: 'w2', fromAgent: 'y', toAgent: null, timestamp: at('10:59:00') }),
    ]);
    // then each chain lists its own rows in the order they came
    expect(state.details.handoffCount).toBe(4);
    expect(chainOf(state.details, refOf(state, 'w1'))).toEqual([
      [null, 'a', 1, us(at('10:00:00'))],
      ['a', 'b', 3, us(at('10:30:00'))],
    ]);
    expect(chainOf(state.details, refOf(state, 'w2'))).toEqual([
      ['x', 'y', 0, us(at('11:00:00'))],
      ['y', null, 0, us(at('10:59:00'))],
    ]);
  });

  it('a workflow without hand-offs has an empty chain; an unparsable time is NaN', () => {
    const state = fold([workflowStart({ workflowId: 'quiet' }), handoff({ workflowId: 'w', timestamp: 'soon' })]);
    expect(chainOf(state.details, refOf(state, 'quiet'))).toEqual([]);
    expect(chainOf(state.details, refOf(state, 'w'))).toEqual([['agent-a', 'agent-b', 0, NaN]]);
  });

  it('invocations and metrics leave the details alone', () => {
    const inv = invocation({ workflowId: 'w', agentName: 'a' });
    const state = fold([inv, metric(inv.invocationId, 4)]);
    expect(details.toData(state.details)).toEqual(details.toData(details.initial()));
  });
});

describe('workflowDetails: checkpoint data', () => {
  it('fromData(toData(state)) reads back the same and folds on the same', () => {
    const events = [
      workflowStart({ workflowId: 'w', projectName: 'shop', agentPlan: ['a', 'b'], estimatedDuration: 600 }),
      handoff({ workflowId: 'w', fromAgent: null, toAgent: 'a', artifacts: ['x'] }),
      complete({ workflowId: 'w', agentsExecuted: ['a'] }),
    ];
    const state = fold(events);
    const restored = details.fromData(details.toData(state.details));
    expect(details.toData(restored)).toEqual(details.toData(state.details));
    // a hand-off after the restore joins the restored chain
    const more = handoff({ workflowId: 'w', fromAgent: 'a', toAgent: 'b' });
    const straight = fold([...events, more]);
    const ref = refOf(straight, 'w');
    const change: Change = { kind: 'workflow', event: more, workflowRef: ref, groupSeq: 0, sessionRef: -1 };
    details.apply(restored, change);
    expect(chainOf(restored, ref)).toEqual(chainOf(straight.details, ref));
  });

  it('a missing column is refused', () => {
    const data = details.toData(fold([workflowStart({ workflowId: 'w' })]).details);
    const { plan: _plan, ...columns } = data.columns;
    expect(() => details.fromData({ ...data, columns })).toThrow(/plan/);
  });
});
