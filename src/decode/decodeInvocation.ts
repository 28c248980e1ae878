import type { InvocationEvent, InvocationStatus } from '../domain/events.js';
import { FieldError } from './rejection.js';
import {
  type JsonObject,
  optionalDuration,
  optionalId,
  optionalName,
  optionalObject,
  optionalString,
  requiredId,
  requiredName,
  requiredTimestamp,
} from './fields.js';

const STATUSES: ReadonlySet<string> = new Set<InvocationStatus>(['success', 'failure', 'partial', 'unknown']);

function taskTypeOf(record: JsonObject): string | null {
  const features = optionalObject(record, 'state_features');
  if (features === null) return null;
  const task = features.task;
  if (task === undefined || task === null || typeof task !== 'object' || Array.isArray(task)) return null;
  return optionalName(task as JsonObject, 'type', 'state_features.task.type') ?? null;
}

export function decodeInvocation(record: JsonObject): InvocationEvent {
  const invocationId = requiredId(record, 'invocation_id');
  const agentName = requiredName(record, 'agent_name');
  const { timestamp, timeUs } = requiredTimestamp(record, 'timestamp');
  const outcome = optionalObject(record, 'outcome');
  let status: InvocationStatus = 'unknown';
  let errorMessage: string | null = null;
  if (outcome !== null) {
    const raw = optionalString(outcome, 'status');
    if (raw !== null) {
      if (!STATUSES.has(raw)) throw new FieldError(`outcome.status must be success, failure, partial or unknown, got ${JSON.stringify(raw)}`);
      status = raw as InvocationStatus;
    }
    // Free text, pooled once and shown at most five times per agent: bounded by the line only.
    errorMessage = optionalString(outcome, 'error_message');
  }
  return {
    kind: 'invocation',
    invocationId,
    timestamp,
    timeUs,
    sessionId: optionalId(record, 'session_id'),
    // An empty workflow_id names no workflow, as for workflow events.
    workflowId: optionalId(record, 'workflow_id') || null,
    agentName,
    agentType: optionalName(record, 'agent_type') ?? '',
    // Free text, kept once (lower-cased, in blocks) and never echoed: bounded by the line only.
    taskDescription: optionalString(record, 'task_description') ?? '',
    taskType: taskTypeOf(record),
    status,
    durationSeconds: optionalDuration(record, 'duration_seconds'),
    errorMessage,
  };
}
