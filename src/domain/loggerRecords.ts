/**
 * The records every writer of this product appends (the `log` CLI and logger, the Claude Code
 * hook, the OTLP receiver, the OpenAI Agents processor), in the Python OaK logger's shape: its
 * keys, in its order, with its defaults for what we never fill. One builder, so the writers
 * cannot drift apart and every reader takes their lines as the reference's own.
 */

export type InvocationRecord = Record<string, unknown> & { invocation_id: string };

export interface InvocationRecordFields {
  /** ISO-8601, as the reference writes it (microseconds, Z). */
  readonly timestamp: string;
  readonly sessionId: string | null;
  readonly invocationId: string;
  readonly agentName: string;
  readonly agentType: string;
  readonly taskDescription: string;
  readonly stateFeatures?: Readonly<Record<string, unknown>>;
  readonly parentInvocationId: string | null;
  readonly workflowId: string | null;
  readonly specId?: string | null;
  readonly toolsUsed?: readonly string[];
  readonly durationSeconds: number | null;
  readonly status: string;
  readonly errorMessage: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export function invocationRecordOf(f: InvocationRecordFields): InvocationRecord {
  return {
    timestamp: f.timestamp,
    session_id: f.sessionId,
    invocation_id: f.invocationId,
    agent_name: f.agentName,
    agent_type: f.agentType,
    task_description: f.taskDescription,
    state_features: f.stateFeatures ?? {},
    parent_invocation_id: f.parentInvocationId,
    workflow_id: f.workflowId,
    spec_id: f.specId ?? null,
    spec_section: [],
    agent_variant: null,
    // The reference keeps the task type in state_features.task.type and leaves this null.
    task_type: null,
    q_value: null,
    exploration: null,
    reward: null,
    learning_enabled: false,
    tools_used: [...(f.toolsUsed ?? [])],
    duration_seconds: f.durationSeconds,
    outcome: {
      status: f.status,
      error_message: f.errorMessage,
      files_modified: [],
      files_created: [],
      tests_passed: null,
      build_succeeded: null,
    },
    metadata: f.metadata,
  };
}

/** A workflow event: timestamp, event, workflow and session ids, then the event's own fields. */
export function workflowEventOf(
  timestamp: string,
  event: string,
  workflowId: string,
  sessionId: string | null,
  fields: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return { timestamp, event, workflow_id: workflowId, session_id: sessionId, ...fields };
}
