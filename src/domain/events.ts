/**
 * The telemetry event model: one discriminated union for every line kind we fold.
 * Records are reduced to the fields the projections read; unknown extra keys are dropped
 * at decode time (they stay in the files).
 */

export type InvocationStatus = 'success' | 'failure' | 'partial' | 'unknown';

export interface InvocationEvent {
  readonly kind: 'invocation';
  readonly invocationId: string;
  readonly timestamp: string;
  /** Epoch microseconds, or NaN when the timestamp does not parse. */
  readonly timeUs: number;
  readonly sessionId: string | null;
  readonly workflowId: string | null;
  readonly agentName: string;
  readonly agentType: string;
  readonly taskDescription: string;
  /** `state_features.task.type`; null when absent. */
  readonly taskType: string | null;
  readonly status: InvocationStatus;
  readonly durationSeconds: number | null;
  readonly errorMessage: string | null;
}

export interface MetricEvent {
  readonly kind: 'metric';
  readonly invocationId: string;
  readonly timestamp: string;
  readonly success: boolean;
  readonly qualityRating: number;
}

interface WorkflowEventBase {
  readonly workflowId: string;
  readonly sessionId: string | null;
  readonly timestamp: string;
  readonly timeUs: number;
}

export interface WorkflowStartEvent extends WorkflowEventBase {
  readonly kind: 'workflow_start';
  readonly projectName: string | null;
  readonly agentPlan: readonly string[];
  readonly estimatedDuration: number | null;
}

export interface AgentHandoffEvent extends WorkflowEventBase {
  readonly kind: 'agent_handoff';
  readonly fromAgent: string | null;
  readonly toAgent: string | null;
  readonly artifacts: readonly string[];
}

export interface WorkflowCompleteEvent extends WorkflowEventBase {
  readonly kind: 'workflow_complete';
  readonly durationSeconds: number;
  readonly success: boolean;
  readonly agentsExecuted: readonly string[];
}

/** A workflow event of a kind we do not know: skipped by every projection but workflow grouping. */
export interface UnknownWorkflowEvent extends WorkflowEventBase {
  readonly kind: 'unknown_workflow_event';
  readonly event: string;
}

export type WorkflowEvent = WorkflowStartEvent | AgentHandoffEvent | WorkflowCompleteEvent | UnknownWorkflowEvent;

export type TelemetryEvent = InvocationEvent | MetricEvent | WorkflowEvent;

export type EventKind = TelemetryEvent['kind'];
