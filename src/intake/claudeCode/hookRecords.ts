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

/** Task texts are cut to this many characters (an Agent prompt can be pages long). */
export const MAX_TASK_CHARS = 2000;

/** How a subagent run ended, as far as the facts say. */
export interface SubagentOutcome {
  readonly ended: boolean;
  readonly endUs: number | null;
  readonly durationSeconds: number | null;
  readonly error: string | null;
}

/** The Agent tool call that started a subagent, as much of it as the record needs. */
export interface DelegatingCall {
  readonly description: string | null;
  readonly prompt: string | null;
  readonly delegatorId: string | null;
}

export function keyed(record: OutRecord, key: KeyedRecord['key']): KeyedRecord {
  return { ...record, key };
}

/** "description: prompt" of the Agent call, cut to MAX_TASK_CHARS. */
export function taskDescriptionOf(call: DelegatingCall | undefined): string {
  if (call === undefined) return '';
  const text = [call.description, call.prompt].filter((s): s is string => s !== null).join(': ');
  return text.length > MAX_TASK_CHARS ? text.slice(0, MAX_TASK_CHARS - 1) + '\u2026' : text;
}

export interface SubagentRun {
  readonly atUs: number;
  readonly sessionId: string;
  readonly id: string;
  readonly type: string;
  readonly agentType: string;
  readonly call: DelegatingCall | undefined;
  readonly toolUseId: string | null;
  readonly workflowId: string;
  readonly outcome: SubagentOutcome;
}

/**
 * A subagent run's invocation record, keyed for the list of what was written; null when the same
 * record was written already (`written`: the JSON last written for this id).
 */
export function subagentInvocation(run: SubagentRun, written: string | undefined): KeyedRecord | null {
  const out = run.outcome;
  const record = invocationRecord({
    atUs: run.atUs,
    sessionId: run.sessionId,
    invocationId: run.id,
    agentName: run.type,
    agentType: run.agentType,
    taskDescription: taskDescriptionOf(run.call),
    parentInvocationId: run.call?.delegatorId ?? null,
    workflowId: run.workflowId,
    durationSeconds: out.durationSeconds,
    status: !out.ended ? 'unknown' : out.error === null ? 'success' : 'failure',
    errorMessage: out.error,
    toolUseId: run.toolUseId,
  });
  const json = JSON.stringify(record.record);
  return written === json ? null : keyed(record, { kind: 'invocation', id: run.id, json });
}
