/**
 * The part of the OpenAI Agents SDK's tracing objects (`Trace`, `Span` from @openai/agents) that
 * the translator reads, declared here so that the product depends on their shape, not on the
 * SDK: its `TracingProcessor` callbacks hand objects of this shape (getters included).
 */

export interface AgentsTrace {
  readonly traceId: string;
  /** The workflow name (`workflowName` of the run config; "Agent workflow" by default). */
  readonly name: string;
  /** The SDK's grouping of traces from one conversation (`groupId`). */
  readonly groupId: string | null;
}

export interface AgentsSpanError {
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** `spanData`: a discriminated union in the SDK; read loosely here, by `type` and a few fields. */
export interface AgentsSpanData {
  readonly type: string;
  readonly name?: unknown;
  readonly from_agent?: unknown;
  readonly to_agent?: unknown;
  /** A custom span's data; the SDK serializes its task and turn spans as custom ones with `sdk_span_type`. */
  readonly data?: unknown;
}

export interface AgentsSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly spanData: AgentsSpanData;
  /** ISO-8601 times (milliseconds) the SDK stamps at start and end. */
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly error: AgentsSpanError | null;
}

export type AgentsSpanKind = 'agent' | 'handoff' | 'function' | 'task' | 'other';

/** What a span is, for the translator. A `task` span is one `run()` of the SDK. */
export function spanKind(data: AgentsSpanData): AgentsSpanKind {
  if (data.type === 'agent' || data.type === 'handoff' || data.type === 'function' || data.type === 'task') return data.type;
  if (data.type === 'custom' && isRecord(data.data) && data.data.sdk_span_type === 'task') return 'task';
  return 'other';
}

export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
