import type { WorkflowEvent } from '../domain/events.js';
import {
  type JsonObject,
  nameList,
  optionalDuration,
  optionalId,
  optionalName,
  requiredBoolean,
  requiredDuration,
  requiredString,
  requiredTimestamp,
  stringList,
} from './fields.js';

/** Workflow events without a workflow_id are skipped (the reference ignores them), not rejected. */
export const NO_WORKFLOW_ID = 'no_workflow_id';

export function decodeWorkflowEvent(record: JsonObject): WorkflowEvent | typeof NO_WORKFLOW_ID {
  // The event kind is only compared, never kept: bounded by the line only.
  const event = requiredString(record, 'event');
  const { timestamp, timeUs } = requiredTimestamp(record, 'timestamp');
  const workflowId = optionalId(record, 'workflow_id');
  if (workflowId === null || workflowId === '') return NO_WORKFLOW_ID;
  const base = { workflowId, sessionId: optionalId(record, 'session_id'), timestamp, timeUs };
  switch (event) {
    case 'workflow_start':
      return {
        kind: 'workflow_start',
        ...base,
        projectName: optionalName(record, 'project_name'),
        agentPlan: nameList(record, 'agent_plan'),
        estimatedDuration: optionalDuration(record, 'estimated_duration'),
      };
    case 'agent_handoff':
      return {
        kind: 'agent_handoff',
        ...base,
        fromAgent: optionalName(record, 'from_agent'),
        toAgent: optionalName(record, 'to_agent'),
        // Only counted: the entries are never kept, so they are bounded by the line only.
        artifacts: stringList(record, 'artifacts'),
      };
    case 'workflow_complete':
      return {
        kind: 'workflow_complete',
        ...base,
        durationSeconds: requiredDuration(record, 'duration_seconds'),
        success: requiredBoolean(record, 'success'),
        agentsExecuted: nameList(record, 'agents_executed'),
      };
    default:
      return { kind: 'unknown_workflow_event', ...base, event };
  }
}
