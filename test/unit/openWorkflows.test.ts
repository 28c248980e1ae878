import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, finalRecords, fold, handoff, invocation, update, us, workflowStart } from '../support/events.js';

const NOW = us('2026-01-10T12:00:00Z');

function started() {
  const i1 = invocation({ workflowId: 'wf1', agentName: 'A', status: 'success' });
  const i2 = invocation({ workflowId: 'wf1', agentName: 'B', status: 'unknown' });
  const i3 = invocation({ workflowId: 'wf1', agentName: 'A', status: 'unknown' });
  const events = [
    workflowStart({ workflowId: 'wf1', projectName: 'Proj', agentPlan: ['A', 'B', 'C'], timestamp: '2026-01-10T11:00:00Z' }),
    i1,
    handoff({ workflowId: 'wf1', fromAgent: 'A', toAgent: 'B' }),
    i2,
    i3,
  ];
  return { i1, i2, i3, events };
}

describe('open workflows', () => {
  it('a started workflow: agents so far in invocation order, running = latest unknown invocation', () => {
    const { events } = started();
    expect(q.open(fold(events), NOW)).toEqual([
      {
        workflow_id: 'wf1',
        project: 'Proj',
        started_at: '2026-01-10T11:00:00Z',
        age_seconds: 3600, // 12:00 - 11:00
        agent_plan: ['A', 'B', 'C'],
        agents: ['A', 'B'],
        running_agent: 'A', // i3 is the latest unknown
        handoffs: 1,
      },
    ]);
  });

  it('as running invocations finish, the running agent falls back, then is none', () => {
    const { i2, i3, events } = started();
    const afterI3 = [...events, update(i3, { status: 'success' })];
    expect(q.open(fold(afterI3), NOW)[0]?.running_agent).toBe('B');
    expect(q.open(fold([...afterI3, update(i2, { status: 'failure' })]), NOW)[0]?.running_agent).toBeNull();
  });

  it('a start after now (a clock ahead of ours) is 0 s old, never negative', () => {
    const state = fold([workflowStart({ workflowId: 'ahead', timestamp: '2026-01-10T13:00:00Z' })]);
    expect(q.open(state, NOW)[0]?.age_seconds).toBe(0);
  });

  it('disappears on complete, even when invocations are still unknown', () => {
    const { events } = started();
    expect(q.open(fold([...events, complete({ workflowId: 'wf1' })]), NOW)).toEqual([]);
  });

  it('a complete before its start: never open; invocations without a start: not listed', () => {
    const state = fold([
      complete({ workflowId: 'early' }),
      workflowStart({ workflowId: 'early' }),
      invocation({ workflowId: 'nostart', status: 'unknown' }),
    ]);
    expect(q.open(state, NOW)).toEqual([]);
  });

  it('a renamed invocation keeps its place among the agents so far', () => {
    // A@0, B@1, A@2; record 0 renamed to D: D@0, B@1, A@2
    const { i1, events } = started();
    const renamed = [...events, update(i1, { agentName: 'D' })];
    const view = q.open(fold(renamed), NOW);
    expect(view[0]?.agents).toEqual(['D', 'B', 'A']);
    expect(view).toEqual(q.open(fold(finalRecords(renamed)), NOW));
  });

  it('an invocation moved to another workflow leaves the first', () => {
    const { i2, events } = started();
    const state = fold([...events, workflowStart({ workflowId: 'wf2', timestamp: '2026-01-10T11:30:00Z' }), update(i2, { workflowId: 'wf2' })]);
    const [one, two] = q.open(state, NOW);
    expect(one).toMatchObject({ workflow_id: 'wf1', agents: ['A'], running_agent: 'A' });
    expect(two).toMatchObject({ workflow_id: 'wf2', agents: ['B'], running_agent: 'B', age_seconds: 1800 });
  });

  it('oldest start first, ties by id; an unparsable start time has no age and comes last', () => {
    const state = fold([
      workflowStart({ workflowId: 'bad', timestamp: 'whenever' }),
      workflowStart({ workflowId: 'wf-b', timestamp: '2026-01-10T10:00:00Z' }),
      workflowStart({ workflowId: 'wf-a', timestamp: '2026-01-10T10:00:00Z' }),
      workflowStart({ workflowId: 'old', timestamp: '2026-01-09T12:00:00Z', projectName: null }),
    ]);
    const view = q.open(state, NOW);
    expect(view.map((w) => [w.workflow_id, w.age_seconds])).toEqual([
      ['old', 86_400],
      ['wf-a', 7200],
      ['wf-b', 7200],
      ['bad', null],
    ]);
    expect(view[0]).toMatchObject({ project: null, agents: [], running_agent: null, handoffs: 0, agent_plan: [] });
  });

  it('the last start line gives the start time', () => {
    const state = fold([
      workflowStart({ workflowId: 'w', timestamp: '2026-01-10T09:00:00Z' }),
      workflowStart({ workflowId: 'w', timestamp: '2026-01-10T11:59:00Z', projectName: 'again' }),
    ]);
    expect(q.open(state, NOW)).toMatchObject([{ workflow_id: 'w', age_seconds: 60, project: 'again' }]);
  });
});
