import { MAX_LIST_ENTRIES } from '../../decode/limits.js';
import { invocationRecord, secondsBetween, workflowEvent, type InvocationOutcome, type OtlpRecord } from '../otlp/otlpRecords.js';
import { spanKind, text, type AgentsSpan, type AgentsSpanError, type AgentsTrace } from './agentsSpans.js';

/**
 * The OpenAI Agents SDK's traces and spans -> invocations and workflow events. Pure apart from
 * its own bounded state: the processor passes each callback's object and the time, and writes
 * what comes back.
 *
 * Unlike OTLP, the SDK calls a processor in-process, in order: a span's start before its
 * children's, its end after theirs, the trace's end after all its spans. So a hand-off through a
 * tool call (an agent run as another agent's tool) is known when the inner agent starts (its
 * ancestors are open). The workflow (the trace) completes when a run in it ends (its top-level
 * task span), not at the trace's end: the SDK (0.14) never ends the trace of a run that throws.
 * Only open spans and open traces are held.
 */

export interface AgentsTranslatorLimits {
  /** Open spans held; beyond it the oldest are forgotten (a run that never ends its spans). */
  readonly maxOpenSpans: number;
  /** Open traces held; beyond it the oldest are forgotten without a completion. */
  readonly maxOpenTraces: number;
}

export const DEFAULT_AGENTS_LIMITS: AgentsTranslatorLimits = { maxOpenSpans: 100_000, maxOpenTraces: 10_000 };

interface OpenSpan {
  readonly traceId: string;
  readonly parentId: string | null;
  /** The agent's name, for an agent span. */
  readonly agent: string | null;
  /** Tools the agent called (function spans under it), distinct, in call order. */
  readonly tools: string[];
  readonly failedTools: string[];
}

interface OpenTrace {
  readonly startMs: number;
  readonly sessionId: string | null;
  readonly agents: string[];
  /** Explicit hand-off spans seen and not yet matched by the agent they hand to. */
  readonly pendingHandoffs: Map<string, number>;
  failed: boolean;
  /** A run of the trace has ended and written the completion (else the trace's end writes it). */
  completedByRun: boolean;
}

export class AgentsTraceTranslator {
  private readonly spans = new Map<string, OpenSpan>();
  private readonly traces = new Map<string, OpenTrace>();
  /** Spans or traces forgotten at a cap: a figure for the processor's log. */
  evicted = 0;

  constructor(private readonly limits: AgentsTranslatorLimits = DEFAULT_AGENTS_LIMITS) {}

  get openSpans(): number {
    return this.spans.size;
  }

  get openTraces(): number {
    return this.traces.size;
  }

  traceStarted(trace: AgentsTrace, nowMs: number): OtlpRecord[] {
    const records: OtlpRecord[] = [];
    this.traceFor(trace.traceId, trace.name, trace.groupId, nowMs, records);
    return records;
  }

  spanStarted(span: AgentsSpan, nowMs: number): OtlpRecord[] {
    const records: OtlpRecord[] = [];
    const kind = spanKind(span.spanData);
    const agent = kind === 'agent' ? text(span.spanData.name) : null;
    const trace = this.traceFor(span.traceId, null, null, timeMs(span.startedAt) ?? nowMs, records);
    this.spans.set(span.spanId, { traceId: span.traceId, parentId: span.parentId, agent, tools: [], failedTools: [] });
    while (this.spans.size > this.limits.maxOpenSpans) this.evictOldest(this.spans);
    if (agent === null) return records;
    if (!trace.agents.includes(agent)) trace.agents.push(agent);
    const caller = this.nearestAgent(span.parentId);
    if (caller === null || caller.agent === null || caller.agent === agent) return records;
    // The SDK's own hand-off span already named this pair: the agent's start is the same hand-off.
    const key = pairKey(caller.agent, agent);
    const pending = trace.pendingHandoffs.get(key) ?? 0;
    if (pending > 0) {
      trace.pendingHandoffs.set(key, pending - 1);
      return records;
    }
    records.push(handoffEvent(span.traceId, trace.sessionId, caller.agent, agent, timeMs(span.startedAt) ?? nowMs));
    return records;
  }

  spanEnded(span: AgentsSpan, nowMs: number): OtlpRecord[] {
    const records: OtlpRecord[] = [];
    const open = this.spans.get(span.spanId);
    this.spans.delete(span.spanId);
    const trace = this.traceFor(span.traceId, null, null, timeMs(span.startedAt) ?? nowMs, records);
    const kind = spanKind(span.spanData);
    const above = this.nearestAgent(span.parentId);
    if (kind === 'function') {
      const tool = text(span.spanData.name);
      if (above !== null && tool !== null) {
        addOnce(above.tools, tool);
        if (span.error !== null) addOnce(above.failedTools, tool);
      }
    } else if (kind === 'handoff') {
      const from = text(span.spanData.from_agent);
      const to = text(span.spanData.to_agent);
      if (from !== null && to !== null) {
        records.push(handoffEvent(span.traceId, trace.sessionId, from, to, timeMs(span.startedAt) ?? nowMs));
        const key = pairKey(from, to);
        trace.pendingHandoffs.set(key, (trace.pendingHandoffs.get(key) ?? 0) + 1);
      }
    } else if (kind === 'agent') {
      const agent = text(span.spanData.name);
      if (agent !== null) records.push(this.invocation(span, agent, open, trace.sessionId, nowMs));
    }
    // A run's own failure (its task span, or an agent not called as another agent's tool) fails
    // the workflow; an agent run as a tool fails only that tool call, which its caller may survive.
    if ((kind === 'task' || kind === 'agent') && span.error !== null && above === null) trace.failed = true;
    if (kind === 'task' && above === null) {
      // A later run in the same trace writes the completion again; the later line replaces it.
      records.push(completion(span.traceId, trace, timeMs(span.endedAt) ?? nowMs));
      trace.completedByRun = true;
    }
    return records;
  }

  traceEnded(trace: AgentsTrace, nowMs: number): OtlpRecord[] {
    const records: OtlpRecord[] = [];
    const open = this.traceFor(trace.traceId, trace.name, trace.groupId, nowMs, records);
    this.traces.delete(trace.traceId);
    if (!open.completedByRun) records.push(completion(trace.traceId, open, nowMs));
    return records;
  }

  /** The trace's state, created (and its workflow_start written) the first time it is seen. */
  private traceFor(traceId: string, name: string | null, groupId: string | null, startMs: number, records: OtlpRecord[]): OpenTrace {
    const known = this.traces.get(traceId);
    if (known !== undefined) return known;
    const trace: OpenTrace = { startMs, sessionId: groupId, agents: [], pendingHandoffs: new Map(), failed: false, completedByRun: false };
    this.traces.set(traceId, trace);
    while (this.traces.size > this.limits.maxOpenTraces) this.evictOldest(this.traces);
    records.push(workflowEvent('workflow_start', msToNs(startMs), traceId, groupId, { project_name: name, agent_plan: [], estimated_duration: null }));
    return trace;
  }

  private invocation(span: AgentsSpan, agent: string, open: OpenSpan | undefined, sessionId: string | null, nowMs: number): OtlpRecord {
    const startMs = timeMs(span.startedAt) ?? nowMs;
    const endMs = Math.max(timeMs(span.endedAt) ?? nowMs, startMs);
    const metadata: Record<string, unknown> = { source: 'openai-agents', trace_id: span.traceId, span_id: span.spanId, parent_span_id: span.parentId };
    if (open !== undefined && open.failedTools.length > 0) metadata.failed_tools = open.failedTools;
    return invocationRecord({
      invocationId: span.spanId,
      startNs: msToNs(startMs),
      endNs: msToNs(endMs),
      sessionId,
      workflowId: span.traceId,
      agentName: agent,
      agentType: '',
      taskDescription: '',
      outcome: outcome(span.error),
      toolsUsed: (open?.tools ?? []).slice(0, MAX_LIST_ENTRIES),
      metadata,
    });
  }

  /** The nearest open agent span at or above `spanId`, or null. */
  private nearestAgent(spanId: string | null): OpenSpan | null {
    let id = spanId;
    for (let hops = 0; id !== null && hops <= this.spans.size; hops++) {
      const span = this.spans.get(id);
      if (span === undefined) return null;
      if (span.agent !== null) return span;
      id = span.parentId;
    }
    return null;
  }

  private evictOldest(map: Map<string, unknown>): void {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
    this.evicted++;
  }
}

/** A span's error: the SDK puts a generic message ("Error in agent run") and the cause in data.error. */
function outcome(error: AgentsSpanError | null): InvocationOutcome {
  if (error === null) return { status: 'success', errorMessage: null };
  return { status: 'failure', errorMessage: text(error.data?.error) ?? text(error.message) ?? 'error' };
}

function completion(traceId: string, trace: OpenTrace, endMs: number): OtlpRecord {
  return workflowEvent('workflow_complete', msToNs(endMs), traceId, trace.sessionId, {
    duration_seconds: secondsBetween(msToNs(trace.startMs), msToNs(Math.max(endMs, trace.startMs))),
    success: !trace.failed,
    agents_executed: trace.agents.slice(0, MAX_LIST_ENTRIES),
  });
}

function handoffEvent(traceId: string, sessionId: string | null, from: string, to: string, atMs: number): OtlpRecord {
  return workflowEvent('agent_handoff', msToNs(atMs), traceId, sessionId, { from_agent: from, to_agent: to, artifacts: [] });
}

function timeMs(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

function addOnce(list: string[], item: string): void {
  if (!list.includes(item) && list.length < MAX_LIST_ENTRIES) list.push(item);
}

function pairKey(from: string, to: string): string {
  return JSON.stringify([from, to]);
}
