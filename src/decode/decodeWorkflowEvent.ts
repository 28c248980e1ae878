import type { WorkflowEvent } from '../domain/events.js';
import { parseTimestampUs } from '../domain/time.js';
import { type JsonObject, optionalNumber, optionalString, requiredBoolean, requiredNumber, requiredString, stringList } from './fields.js';

/** Workflow events without a workflow_id are skipped (the reference ignores them), not rejected. */
export const NO_WORKFLOW_ID = 'no_workflow_id';

export function decodeWorkflowEvent(record: JsonObject): WorkflowEvent | typeof NO_WORKFLOW_ID {
  const event = requiredString(record, 'event');
  const timestamp = requiredString(record, 'timestamp');
  const workflowId = optionalString(record, 'workflow_id');
  if (workflowId === null || workflowId === '') return NO_WORKFLOW_ID;
  const base = { workflowId, sessionId: optionalString(record, 'session_id'), timestamp, timeUs: parseTimestampUs(timestamp) };
  switch (event) {
    case 'workflow_start':
      return {
        kind: 'workflow_start',
        ...base,
        projectName: optionalString(record, 'project_name'),
        agentPlan: stringList(record, 'agent_plan'),
        estimatedDuration: optionalNumber(record, 'estimated_duration'),
      };
    case 'agent_handoff':
      return {
        kind: 'agent_handoff',
        ...base,
        fromAgent: optionalString(record, 'from_agent'),
        toAgent: optionalString(record, 'to_agent'),
        artifacts: stringList(record, 'artifacts'),
      };
    case 'workflow_complete':
      return {
        kind: 'workflow_complete',
        ...base,
        durationSeconds: requiredNumber(record, 'duration_seconds'),
        success: requiredBoolean(record, 'success'),
        agentsExecuted: stringList(record, 'agents_executed'),
      };
    default:
      return { kind: 'unknown_workflow_event', ...base, event };
  }
}
