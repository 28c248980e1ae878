import { invocationRecordOf, workflowEventOf } from '../../domain/loggerRecords.js';
import { formatTimestampUs } from '../../domain/time.js';

/**
 * The records the hook writes, in the formats (keys and key order) of the Python OaK logger
 * that every reader of this product decodes: see src/domain/loggerRecords.ts.
 */

export type TelemetryFileKind = 'invocations' | 'workflow_events';

export interface OutRecord {
  readonly file: TelemetryFileKind;
  readonly record: Readonly<Record<string, unknown>>;
}

/** What a record is, for the session state's list of what was written (see markWritten). */
export type RecordKey =
  | { readonly kind: 'start' | 'handoff'; readonly id: string }
  | { readonly kind: 'invocation' | 'complete'; readonly id: string; readonly json: string };

export interface KeyedRecord extends OutRecord {
  readonly key: RecordKey;
}

export interface InvocationFields {
  readonly atUs: number;
  readonly sessionId: string;
  readonly invocationId: string;
  readonly agentName: string;
  readonly agentType: string;
  readonly taskDescription: string;
  readonly parentInvocationId: string | null;
  readonly workflowId: string | null;
  readonly durationSeconds: number | null;
  readonly status: 'success' | 'failure' | 'unknown';
  readonly errorMessage: string | null;
  readonly toolUseId: string | null;
}

export function invocationRecord(f: InvocationFields): OutRecord {
  return {
    file: 'invocations',
    record: invocationRecordOf({
      timestamp: formatTimestampUs(f.atUs),
      sessionId: f.sessionId,
      invocationId: f.invocationId,
      agentName: f.agentName,
      agentType: f.agentType,
      taskDescription: f.taskDescription,
      parentInvocationId: f.parentInvocationId,
      workflowId: f.workflowId,
      durationSeconds: f.durationSeconds,
      status: f.status,
      errorMessage: f.errorMessage,
      metadata: { source: 'claude-code', tool_use_id: f.toolUseId },
    }),
  };
}

function workflowEvent(event: string, atUs: number, workflowId: string, sessionId: string, fields: Record<string, unknown>): OutRecord {
  return { file: 'workflow_events', record: workflowEventOf(formatTimestampUs(atUs), event, workflowId, sessionId, fields) };
}

export function workflowStartRecord(atUs: number, workflowId: string, sessionId: string, projectName: string | null): OutRecord {
  return workflowEvent('workflow_start', atUs, workflowId, sessionId, { project_name: projectName, agent_plan: [], estimated_duration: null });
}

export function handoffRecord(atUs: number, workflowId: string, sessionId: string, fromAgent: string, toAgent: string): OutRecord {
  return workflowEvent('agent_handoff', atUs, workflowId, sessionId, { from_agent: fromAgent, to_agent: toAgent, artifacts: [] });
}

export function workflowCompleteRecord(
  atUs: number,
  workflowId: string,
  sessionId: string,
  durationSeconds: number,
  success: boolean,
  agentsExecuted: readonly string[],
): OutRecord {
  return workflowEvent('workflow_complete', atUs, workflowId, sessionId, {
    duration_seconds: durationSeconds,
    success,
    agents_executed: [...agentsExecuted],
  });
}
