import type { InvocationEvent, InvocationStatus } from '../domain/events.js';
import { parseTimestampUs } from '../domain/time.js';
import { FieldError } from './rejection.js';
import { type JsonObject, optionalNumber, optionalObject, optionalString, requiredId, requiredString } from './fields.js';

const STATUSES: ReadonlySet<string> = new Set<InvocationStatus>(['success', 'failure', 'partial', 'unknown']);

function taskTypeOf(record: JsonObject): string | null {
  const features = optionalObject(record, 'state_features');
  if (features === null) return null;
  const task = features.task;
  if (task === undefined || task === null || typeof task !== 'object' || Array.isArray(task)) return null;
  return optionalString(task as JsonObject, 'type') ?? null;
}

export function decodeInvocation(record: JsonObject): InvocationEvent {
  const invocationId = requiredId(record, 'invocation_id');
  const agentName = requiredString(record, 'agent_name');
  const timestamp = requiredString(record, 'timestamp');
  const outcome = optionalObject(record, 'outcome');
  let status: InvocationStatus = 'unknown';
  let errorMessage: string | null = null;
  if (outcome !== null) {
    const raw = optionalString(outcome, 'status');
    if (raw !== null) {
      if (!STATUSES.has(raw)) throw new FieldError(`outcome.status must be success, failure, partial or unknown, got ${JSON.stringify(raw)}`);
      status = raw as InvocationStatus;
    }
    errorMessage = optionalString(outcome, 'error_message');
  }
  return {
    kind: 'invocation',
    invocationId,
    timestamp,
    timeUs: parseTimestampUs(timestamp),
    sessionId: optionalString(record, 'session_id'),
    // An empty workflow_id names no workflow, as for workflow events.
    workflowId: optionalString(record, 'workflow_id') || null,
    agentName,
    agentType: optionalString(record, 'agent_type') ?? '',
    taskDescription: optionalString(record, 'task_description') ?? '',
    taskType: taskTypeOf(record),
    status,
    durationSeconds: optionalNumber(record, 'duration_seconds'),
    errorMessage,
  };
}
