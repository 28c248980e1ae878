import { formatTimestampUs } from '../../domain/time.js';
import { NO_QUALITY } from '../folds/changes.js';
import type { TelemetryState } from '../folds/telemetryState.js';
import { executedOf, FAILED, NO_START, planOf, projectOf, SUCCEEDED } from '../folds/workflowDetails.js';
import { hasComplete, hasStart } from '../folds/workflowTimings.js';

/**
 * The state as flat records for tools that count rows (DuckDB, jq, a spreadsheet): the raw
 * files hold every update and rating as a line of its own, so counting them over-counts; these
 * hold one record per invocation (its last record, its last rating), per workflow and per
 * hand-off. Field names follow the files' snake_case; a missing value is null.
 */
export interface InvocationRecord {
  invocation_id: string;
  timestamp: string;
  session_id: string | null;
  workflow_id: string | null;
  agent_name: string;
  agent_type: string;
  task_type: string | null;
  /** Lower-cased: the state keeps the text it matches tasks against, not the original case. */
  task_description: string;
  status: string;
  duration_seconds: number | null;
  error_message: string | null;
  quality_rating: number | null;
}

export interface WorkflowRecord {
  workflow_id: string;
  project_name: string | null;
  started_at: string | null;
  completed_at: string | null;
  estimated_duration_seconds: number | null;
  duration_seconds: number | null;
  /** null while the workflow is open. */
  success: boolean | null;
  agent_plan: string[];
  agents_executed: string[] | null;
  handoffs: number;
}

export interface HandoffRecord {
  workflow_id: string;
  timestamp: string | null;
  from_agent: string | null;
  to_agent: string | null;
  artifacts: number;
}

export type ExportKind = 'invocations' | 'workflows' | 'handoffs';
export const EXPORT_KINDS: readonly ExportKind[] = ['invocations', 'workflows', 'handoffs'];

export interface ExportRecordTypes {
  invocations: InvocationRecord;
  workflows: WorkflowRecord;
  handoffs: HandoffRecord;
}

/** Column order for tabular output: every record of a kind has exactly these fields. */
export const EXPORT_COLUMNS: { readonly [K in ExportKind]: ReadonlyArray<keyof ExportRecordTypes[K]> } = {
  invocations: ['invocation_id', 'timestamp', 'session_id', 'workflow_id', 'agent_name', 'agent_type', 'task_type', 'task_description', 'status', 'duration_seconds', 'error_message', 'quality_rating'],
  workflows: ['workflow_id', 'project_name', 'started_at', 'completed_at', 'estimated_duration_seconds', 'duration_seconds', 'success', 'agent_plan', 'agents_executed', 'handoffs'],
  handoffs: ['workflow_id', 'timestamp', 'from_agent', 'to_agent', 'artifacts'],
};

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);
const timeOrNull = (us: number): string | null => (Number.isFinite(us) ? formatTimestampUs(us) : null);

/** One record per invocation, in first-seen order. */
export function* invocationRecords(state: TelemetryState): Generator<InvocationRecord> {
  const { table, invocationIds, quality } = state.ledger;
  for (let seq = 0; seq < table.size; seq++) {
    const inv = table.read(seq);
    const rating = quality.get(seq);
    yield {
      invocation_id: invocationIds.keyAt(seq),
      timestamp: inv.timestamp,
      session_id: inv.sessionRef < 0 ? null : table.sessions.keyAt(inv.sessionRef),
      workflow_id: inv.workflowId,
      agent_name: inv.agentName,
      agent_type: inv.agentType,
      task_type: inv.taskType,
      task_description: inv.taskLower,
      status: inv.status,
      duration_seconds: inv.durationSeconds,
      error_message: inv.errorMessage,
      quality_rating: rating === NO_QUALITY || Number.isNaN(rating) ? null : rating,
    };
  }
}

/** The workflow numbers that have a workflow event, in the order their first one was seen. */
function workflowsInOrder(state: TelemetryState): number[] {
  const { ledger } = state;
  const refs: number[] = [];
  for (let ref = 0; ref < ledger.table.workflows.size; ref++) if (ledger.groupSeq.get(ref) >= 0) refs.push(ref);
  return refs.sort((a, b) => ledger.groupSeq.get(a) - ledger.groupSeq.get(b));
}

/** One record per workflow with a start, complete or hand-off line (an id only invocations name is no workflow here). */
export function* workflowRecords(state: TelemetryState): Generator<WorkflowRecord> {
  const { details, timings, ledger } = state;
  for (const ref of workflowsInOrder(state)) {
    let handoffs = 0;
    for (let row = details.firstHandoff.get(ref); row >= 0; row = details.handoffNext.get(row)) handoffs++;
    const success = details.success.get(ref);
    yield {
      workflow_id: ledger.table.workflows.at(ref),
      project_name: details.project.get(ref) === NO_START ? null : projectOf(details, ref),
      started_at: hasStart(timings, ref) ? timeOrNull(timings.startTime.get(ref)) : null,
      completed_at: hasComplete(timings, ref) ? timeOrNull(timings.completeTime.get(ref)) : null,
      estimated_duration_seconds: finiteOrNull(details.estimate.get(ref)),
      duration_seconds: finiteOrNull(timings.completeDuration.get(ref)),
      success: success === SUCCEEDED ? true : success === FAILED ? false : null,
      agent_plan: planOf(details, ref),
      agents_executed: executedOf(details, ref),
      handoffs,
    };
  }
}

/** One record per hand-off line, grouped by workflow (in the workflows' order), in file order within one. */
export function* handoffRecords(state: TelemetryState): Generator<HandoffRecord> {
  const { details, ledger } = state;
  for (const ref of workflowsInOrder(state)) {
    const workflowId = ledger.table.workflows.at(ref);
    for (let row = details.firstHandoff.get(ref); row >= 0; row = details.handoffNext.get(row)) {
      yield {
        workflow_id: workflowId,
        timestamp: timeOrNull(details.handoffTime.get(row)),
        from_agent: details.names.atOrNull(details.handoffFrom.get(row)),
        to_agent: details.names.atOrNull(details.handoffTo.get(row)),
        artifacts: details.handoffArtifacts.get(row),
      };
    }
  }
}

export function exportRecords<K extends ExportKind>(state: TelemetryState, kind: K): Iterable<ExportRecordTypes[K]> {
  const records = { invocations: invocationRecords, workflows: workflowRecords, handoffs: handoffRecords }[kind];
  return records(state) as Iterable<ExportRecordTypes[K]>;
}
