import { formatTimestampUs } from '../domain/time.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { executedOf, FAILED, NOT_COMPLETED, planOf, projectOf } from '../projections/folds/workflowDetails.js';
import * as q from './telemetryQueries.js';

/** A workflow as one document: open or completed, with what the state knows of it. */
export interface WorkflowStatus {
  workflow_id: string;
  status: 'completed' | 'open' | 'not started';
  project: string | null;
  plan: string[];
  started_at: string | null;
  agents_so_far: string[] | null;
  running_agent: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  success: boolean | null;
  agents_executed: string[] | null;
}

/** The workflow's status at `nowUs`; null when the telemetry has never named it. */
export function workflowStatus(state: TelemetryState, workflowId: string, nowUs: number): WorkflowStatus | null {
  const ref = state.ledger.table.workflows.find(workflowId);
  if (ref < 0) return null;
  const details = state.details;
  const timings = state.timings;
  const open = q.open(state, nowUs).find((w) => w.workflow_id === workflowId);
  const success = details.success.get(ref);
  const startUs = timings.startTime.get(ref);
  const completeUs = timings.completeTime.get(ref);
  const duration = timings.completeDuration.get(ref);
  return {
    workflow_id: workflowId,
    status: success !== NOT_COMPLETED ? 'completed' : open !== undefined ? 'open' : 'not started',
    project: projectOf(details, ref),
    plan: planOf(details, ref),
    started_at: Number.isNaN(startUs) ? null : formatTimestampUs(startUs),
    agents_so_far: open?.agents ?? null,
    running_agent: open?.running_agent ?? null,
    completed_at: Number.isNaN(completeUs) ? null : formatTimestampUs(completeUs),
    duration_seconds: Number.isNaN(duration) ? null : duration,
    success: success === NOT_COMPLETED ? null : success !== FAILED,
    agents_executed: executedOf(details, ref),
  };
}
