/**
 * Builders for literal telemetry events in unit tests: every field has a plain default, and
 * `timeUs` always follows `timestamp` (as the decoder sets it), so a test only names what matters.
 */
import type {
  AgentHandoffEvent,
  InvocationEvent,
  MetricEvent,
  TelemetryEvent,
  UnknownWorkflowEvent,
  WorkflowCompleteEvent,
  WorkflowStartEvent,
} from '../../src/domain/events.js';
import { parseTimestampUs } from '../../src/domain/time.js';
import { applyEvent, initialState, type TelemetryState } from '../../src/projections/folds/telemetryState.js';

export const DEFAULT_TIMESTAMP = '2026-01-10T12:00:00.000000Z';
export const DEFAULT_SESSION = 'session-1';

let nextId = 0;
function freshId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

type Fields<T> = Partial<Omit<T, 'kind' | 'timeUs'>>;

export function invocation(overrides: Fields<InvocationEvent> = {}): InvocationEvent {
  const timestamp = overrides.timestamp ?? DEFAULT_TIMESTAMP;
  return {
    kind: 'invocation',
    invocationId: freshId('inv'),
    sessionId: DEFAULT_SESSION,
    workflowId: null,
    agentName: 'agent-a',
    agentType: 'general',
    taskDescription: 'do the work',
    taskType: null,
    status: 'success',
    durationSeconds: null,
    errorMessage: null,
    ...overrides,
    timestamp,
    timeUs: parseTimestampUs(timestamp),
  };
}

/** The update line of an invocation: the same record with some fields changed. */
export function update(original: InvocationEvent, changes: Fields<InvocationEvent>): InvocationEvent {
  const { kind: _kind, timeUs: _timeUs, ...fields } = original;
  return invocation({ ...fields, ...changes });
}

export function metric(invocationId: string, qualityRating: number, overrides: Partial<Omit<MetricEvent, 'kind'>> = {}): MetricEvent {
  return { kind: 'metric', invocationId, timestamp: DEFAULT_TIMESTAMP, success: true, qualityRating, ...overrides };
}

interface WorkflowFields {
  workflowId?: string;
  sessionId?: string | null;
  timestamp?: string;
}

function base(overrides: WorkflowFields): { workflowId: string; sessionId: string | null; timestamp: string; timeUs: number } {
  const timestamp = overrides.timestamp ?? DEFAULT_TIMESTAMP;
  return {
    workflowId: overrides.workflowId ?? 'wf-1',
    sessionId: overrides.sessionId === undefined ? DEFAULT_SESSION : overrides.sessionId,
    timestamp,
    timeUs: parseTimestampUs(timestamp),
  };
}

export function workflowStart(overrides: WorkflowFields & Partial<Pick<WorkflowStartEvent, 'projectName' | 'agentPlan' | 'estimatedDuration'>> = {}): WorkflowStartEvent {
  return {
    kind: 'workflow_start',
    projectName: overrides.projectName === undefined ? 'project' : overrides.projectName,
    agentPlan: overrides.agentPlan ?? [],
    estimatedDuration: overrides.estimatedDuration ?? null,
    ...base(overrides),
  };
}

export function handoff(overrides: WorkflowFields & Partial<Pick<AgentHandoffEvent, 'fromAgent' | 'toAgent' | 'artifacts'>> = {}): AgentHandoffEvent {
  return {
    kind: 'agent_handoff',
    // `=== undefined`, not `??`: a hand-off from nobody (from_agent null) is legal input.
    fromAgent: overrides.fromAgent === undefined ? 'agent-a' : overrides.fromAgent,
    toAgent: overrides.toAgent === undefined ? 'agent-b' : overrides.toAgent,
    artifacts: overrides.artifacts ?? [],
    ...base(overrides),
  };
}

export function complete(overrides: WorkflowFields & Partial<Pick<WorkflowCompleteEvent, 'durationSeconds' | 'success' | 'agentsExecuted'>> = {}): WorkflowCompleteEvent {
  return {
    kind: 'workflow_complete',
    durationSeconds: overrides.durationSeconds ?? 60,
    success: overrides.success ?? true,
    agentsExecuted: overrides.agentsExecuted ?? [],
    ...base(overrides),
  };
}

export function unknownEvent(event: string, overrides: WorkflowFields = {}): UnknownWorkflowEvent {
  return { kind: 'unknown_workflow_event', event, ...base(overrides) };
}

/** Folds the events, in order, from the initial state. */
export function fold(events: readonly TelemetryEvent[]): TelemetryState {
  return events.reduce(applyEvent, initialState());
}

/**
 * What the reference would read after rewriting its invocation file in place: one line per
 * invocation (its last record) at the position of its first line; other events unchanged.
 */
export function finalRecords(events: readonly TelemetryEvent[]): TelemetryEvent[] {
  const latest = new Map<string, InvocationEvent>();
  for (const e of events) if (e.kind === 'invocation') latest.set(e.invocationId, e);
  const emitted = new Set<string>();
  const out: TelemetryEvent[] = [];
  for (const e of events) {
    if (e.kind !== 'invocation') out.push(e);
    else if (!emitted.has(e.invocationId)) {
      emitted.add(e.invocationId);
      out.push(latest.get(e.invocationId) as InvocationEvent);
    }
  }
  return out;
}

/** Epoch microseconds of an ISO timestamp that must parse. */
export function us(timestamp: string): number {
  const value = parseTimestampUs(timestamp);
  if (Number.isNaN(value)) throw new Error(`test timestamp does not parse: ${timestamp}`);
  return value;
}
