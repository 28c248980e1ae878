import { describe, expect, it } from 'vitest';
import { workflowStatus } from '../../src/queries/workflowStatus.js';
import { complete, fold, invocation, us, workflowStart } from '../support/events.js';

// Given workflow lines and invocations, when asked about one workflow, then one document.
const NOW = us('2026-01-10T12:00:00Z');

describe('workflowStatus', () => {
  it('an open workflow: its start, agents so far and the running one; nothing of a complete', () => {
    const state = fold([
      workflowStart({ workflowId: 'w', projectName: 'P', agentPlan: ['a', 'b'], timestamp: '2026-01-10T10:00:00Z' }),
      invocation({ invocationId: 'i1', workflowId: 'w', agentName: 'a', status: 'success' }),
      invocation({ invocationId: 'i2', workflowId: 'w', agentName: 'b', status: 'unknown' }),
    ]);
    expect(workflowStatus(state, 'w', NOW)).toEqual({
      workflow_id: 'w',
      status: 'open',
      project: 'P',
      plan: ['a', 'b'],
      started_at: '2026-01-10T10:00:00.000000Z',
      agents_so_far: ['a', 'b'],
      running_agent: 'b',
      completed_at: null,
      duration_seconds: null,
      success: null,
      agents_executed: null,
    });
  });

  it('a completed workflow: its complete line, read from the workflow timings', () => {
    const state = fold([
      workflowStart({ workflowId: 'w', timestamp: '2026-01-10T10:00:00Z' }),
      complete({ workflowId: 'w', timestamp: '2026-01-10T10:10:00Z', durationSeconds: 600, success: false, agentsExecuted: ['a'] }),
    ]);
    expect(workflowStatus(state, 'w', NOW)).toMatchObject({
      status: 'completed',
      started_at: '2026-01-10T10:00:00.000000Z',
      completed_at: '2026-01-10T10:10:00.000000Z',
      duration_seconds: 600,
      success: false,
      agents_executed: ['a'],
      agents_so_far: null,
    });
  });

  it('a workflow only named by an invocation has not started; an unknown one has no status', () => {
    const state = fold([invocation({ invocationId: 'i1', workflowId: 'named' })]);
    expect(workflowStatus(state, 'named', NOW)).toMatchObject({ status: 'not started', started_at: null, plan: [], success: null });
    expect(workflowStatus(state, 'unknown', NOW)).toBeNull();
  });
});
