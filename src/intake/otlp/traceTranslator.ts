import { MAX_LIST_ENTRIES } from '../../decode/limits.js';
import { agentOfSpan } from './agentSpanRule.js';
import { adkTransferTarget, isSwarmSpan, llmAgentName, nodeFacts } from './frameworkSpans.js';
import * as attr from './genAiAttributes.js';
import type { OtlpSpan } from './otlpModel.js';
import { invocationRecord, secondsBetween, workflowEvent, type OtlpRecord } from './otlpRecords.js';
import { spanOutcome } from './spanOutcome.js';

/**
 * GenAI spans -> invocations and workflow events. Pure apart from its own bounded state: the
 * caller passes the spans and the time, and writes what comes back.
 *
 * Spans arrive as they end, child first, spread over requests, and again when an exporter
 * retries. So an invocation is written when its `invoke_agent` span arrives (it is complete:
 * exported spans have ended), at most once per span id while the trace is held; the trace's
 * workflow events (start, hand-offs, complete) are written when its root span arrives, because
 * only then are the parents of every agent span known. A trace held too long (idle past the time
 * limit) or pushed out by the memory cap is flushed early: its start and the hand-offs known so
 * far are written then, and it is remembered as flushed so a later root span adds only the
 * completion. Nothing is written twice for a trace the state still holds or remembers.
 */

export interface TranslatorLimits {
  /** Spans held across all traces (each a few hundred bytes); beyond it the idlest traces are flushed. */
  readonly maxSpans: number;
  /** A trace with no new span for this long is flushed (and, when complete, forgotten). */
  readonly traceIdleMs: number;
  /** Traces remembered after they are forgotten, so a retry writes no workflow event again. */
  readonly maxRememberedTraces: number;
}

export const DEFAULT_TRANSLATOR_LIMITS: TranslatorLimits = { maxSpans: 100_000, traceIdleMs: 15 * 60_000, maxRememberedTraces: 100_000 };

export interface Translation {
  readonly records: readonly OtlpRecord[];
  /** Spans not taken (no ids, ending before they start): the partialSuccess count. */
  readonly rejected: number;
  readonly rejectReason: string;
  /** Forgets what this call changed, when its records could not be written: a retry then counts. */
  readonly undo: () => void;
}

interface AgentFacts {
  readonly name: string;
  readonly startNs: bigint;
}

interface SpanFacts {
  readonly parent: string;
  readonly startNs: bigint;
  readonly agent: AgentFacts | null;
  readonly handoff: { readonly from: string; readonly to: string; readonly startNs: bigint } | null;
  /** The agent named on a span that is not an invocation (ADK's call_llm): a transfer's caller. */
  readonly llmAgent: string | null;
  /** ADK's transfer_to_agent tool call: the agent it hands to. */
  readonly transferTo: string | null;
  /** A Strands swarm span: the order of its node spans gives its hand-offs. */
  readonly swarm: boolean;
  /** A Strands node span: the same agent as the invoke_agent span under it, not another one. */
  readonly node: { readonly id: string; readonly failed: boolean } | null;
  handled: boolean;
}

interface TraceState {
  readonly traceId: string;
  readonly spans: Map<string, SpanFacts>;
  lastSeenMs: number;
  firstStartNs: bigint;
  sessionId: string | null;
  workflowName: string | null;
  serviceName: string | null;
  root: { readonly startNs: bigint; readonly endNs: bigint; readonly failed: boolean } | null;
  agentsByStart: AgentFacts[];
  /** Explicit hand-off pairs seen, each able to stand for one parent-chain hand-off of the same pair. */
  readonly explicitPairs: Map<string, number>;
  startWritten: boolean;
  completeWritten: boolean;
  /** Re-created for a trace already completed and forgotten: its spans add no hand-off again. */
  readonly recalled: boolean;
  /** Agents of the trace before it was forgotten, for agents_executed. */
  readonly priorAgents: readonly string[];
  /** How many agents the last workflow_complete written named. */
  completeAgents: number;
}

interface Remembered {
  readonly startWritten: boolean;
  readonly completeWritten: boolean;
  readonly agents: readonly string[];
}

export class TraceTranslator {
  private readonly traces = new Map<string, TraceState>();
  private readonly remembered = new Map<string, Remembered>();
  private spanCount = 0;

  constructor(private readonly limits: TranslatorLimits = DEFAULT_TRANSLATOR_LIMITS) {}

  get heldSpans(): number {
    return this.spanCount;
  }

  get heldTraces(): number {
    return this.traces.size;
  }

  accept(spans: readonly OtlpSpan[], nowMs: number): Translation {
    const records: OtlpRecord[] = [];
    const undo: Array<() => void> = [];
    let rejected = 0;
    let rejectReason = '';
    const touched = new Set<TraceState>();
    for (const span of spans) {
      const problem = invalid(span);
      if (problem !== null) {
        rejected++;
        rejectReason ||= problem;
        continue;
      }
      const trace = this.traceFor(span.traceId, nowMs, undo);
      touched.add(trace);
      if (trace.spans.has(span.spanId)) continue; // an exporter's retry
      this.addSpan(trace, span, records, undo);
    }
    for (const trace of touched) this.settle(trace, records, undo, false);
    return { records, rejected, rejectReason, undo: () => undo.reverse().forEach((step) => step()) };
  }

  /** Flushes traces idle past the time limit and, beyond the memory cap, the idlest ones. */
  sweep(nowMs: number): readonly OtlpRecord[] {
    const records: OtlpRecord[] = [];
    const noUndo: Array<() => void> = [];
    // Map order is least recently active first: accept() re-inserts a trace it touches.
    for (const trace of [...this.traces.values()]) {
      const idle = nowMs - trace.lastSeenMs >= this.limits.traceIdleMs;
      if (!idle && this.spanCount <= this.limits.maxSpans) break;
      this.settle(trace, records, noUndo, true);
      this.forget(trace);
    }
    return records;
  }

  private traceFor(traceId: string, nowMs: number, undo: Array<() => void>): TraceState {
    let trace = this.traces.get(traceId);
    if (trace === undefined) {
      const known = this.remembered.get(traceId);
      trace = {
        traceId,
        spans: new Map(),
        lastSeenMs: nowMs,
        firstStartNs: -1n,
        sessionId: null,
        workflowName: null,
        serviceName: null,
        root: null,
        agentsByStart: [],
        explicitPairs: new Map(),
        startWritten: known?.startWritten ?? false,
        completeWritten: known?.completeWritten ?? false,
        recalled: known?.completeWritten === true,
        priorAgents: known?.agents ?? [],
        completeAgents: known?.agents.length ?? 0,
      };
      const created = trace;
      undo.push(() => {
        if (created.spans.size === 0) this.traces.delete(traceId);
      });
    } else {
      this.traces.delete(traceId);
    }
    trace.lastSeenMs = nowMs;
    this.traces.set(traceId, trace);
    return trace;
  }

  private addSpan(trace: TraceState, span: OtlpSpan, records: OtlpRecord[], undo: Array<() => void>): void {
    const operation = attr.textAttribute(span.attributes, attr.OPERATION);
    const agentName = agentOfSpan(span.name, span.attributes);
    const from = attr.textAttribute(span.attributes, attr.HANDOFF_FROM);
    const to = attr.textAttribute(span.attributes, attr.HANDOFF_TO);
    const facts: SpanFacts = {
      parent: span.parentSpanId,
      startNs: span.startUnixNano,
      agent: agentName === null ? null : { name: agentName, startNs: span.startUnixNano },
      handoff: from !== null && to !== null ? { from, to, startNs: span.startUnixNano } : null,
      llmAgent: llmAgentName(span, agentName !== null),
      transferTo: adkTransferTarget(span),
      swarm: isSwarmSpan(operation),
      node: nodeFacts(span, operation),
      handled: trace.recalled,
    };
    const before = { ...trace, agentsByStart: trace.agentsByStart };
    trace.spans.set(span.spanId, facts);
    this.spanCount++;
    undo.push(() => {
      trace.spans.delete(span.spanId);
      this.spanCount--;
      trace.firstStartNs = before.firstStartNs;
      trace.sessionId = before.sessionId;
      trace.workflowName = before.workflowName;
      trace.serviceName = before.serviceName;
      trace.root = before.root;
      trace.agentsByStart = before.agentsByStart;
    });
    if (trace.firstStartNs < 0n || span.startUnixNano < trace.firstStartNs) trace.firstStartNs = span.startUnixNano;
    trace.serviceName ??= attr.textAttribute(span.resource, attr.SERVICE_NAME);
    const session = attr.textAttribute(span.attributes, attr.CONVERSATION);
    if (span.parentSpanId === '' && session !== null) trace.sessionId = session;
    else trace.sessionId ??= session;
    if (operation === attr.INVOKE_WORKFLOW) trace.workflowName ??= attr.textAttribute(span.attributes, attr.WORKFLOW_NAME) ?? span.name;
    if (span.parentSpanId === '') trace.root = { startNs: span.startUnixNano, endNs: span.endUnixNano, failed: spanOutcome(span).status === 'failure' };
    if (facts.agent !== null) {
      trace.agentsByStart = [...trace.agentsByStart, facts.agent].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
      records.push(
        invocationRecord({
          invocationId: `${span.traceId}-${span.spanId}`,
          startNs: span.startUnixNano,
          endNs: span.endUnixNano,
          sessionId: session,
          workflowId: span.traceId,
          agentName: facts.agent.name,
          agentType: attr.textAttribute(span.attributes, attr.AGENT_TYPE) ?? '',
          taskDescription: attr.textAttribute(span.attributes, attr.AGENT_DESCRIPTION) ?? '',
          outcome: spanOutcome(span),
          metadata: {
            source: 'otlp',
            trace_id: span.traceId,
            span_id: span.spanId,
            parent_span_id: span.parentSpanId === '' ? null : span.parentSpanId,
            service_name: trace.serviceName,
          },
        }),
      );
    }
  }

  /**
   * Writes the workflow events the trace now allows: all of them once the root span is in (or
   * when flushing), and after that the hand-offs of agent spans that arrive late.
   */
  private settle(trace: TraceState, records: OtlpRecord[], undo: Array<() => void>, flushing: boolean): void {
    if (trace.agentsByStart.length === 0 && !trace.startWritten) {
      // Not a workflow (no agent in it), or not yet known to be one.
      return;
    }
    if (trace.root === null && !flushing && !trace.startWritten) return;
    const was = { startWritten: trace.startWritten, completeWritten: trace.completeWritten, completeAgents: trace.completeAgents };
    undo.push(() => {
      trace.startWritten = was.startWritten;
      trace.completeWritten = was.completeWritten;
      trace.completeAgents = was.completeAgents;
    });
    if (!trace.startWritten) {
      records.push(
        workflowEvent('workflow_start', trace.root?.startNs ?? trace.firstStartNs, trace.traceId, trace.sessionId, {
          project_name: trace.workflowName ?? trace.serviceName,
          agent_plan: [],
          estimated_duration: null,
        }),
      );
      trace.startWritten = true;
    }
    for (const handoff of this.handoffs(trace, undo, flushing)) {
      records.push(workflowEvent('agent_handoff', handoff.startNs, trace.traceId, trace.sessionId, { from_agent: handoff.from, to_agent: handoff.to, artifacts: [] }));
    }
    const executed = agentsExecuted(trace);
    // An agent span from another process may come after the root: the completion is written
    // again naming it (a later workflow_complete replaces the earlier one in every projection).
    if (trace.root !== null && (!trace.completeWritten || executed.length > trace.completeAgents)) {
      records.push(
        workflowEvent('workflow_complete', trace.root.endNs, trace.traceId, trace.sessionId, {
          duration_seconds: secondsBetween(trace.root.startNs, trace.root.endNs),
          success: !trace.root.failed && !anyNodeFailed(trace),
          agents_executed: executed,
        }),
      );
      trace.completeWritten = true;
      trace.completeAgents = executed.length;
    }
  }

  /**
   * Hand-offs not yet written, in start order: explicit hand-off spans, and an agent span whose
   * nearest agent ancestor is another agent (that agent handed it the work). When the chain up
   * is not all in yet, the agent waits, unless `final` (a flush). An explicit hand-off and the parent chain
   * describing the same pair count once. Not final at the root span either: spans from other
   * processes may still bring a missing link; only a flush gives up on it.
   */
  private handoffs(trace: TraceState, undo: Array<() => void>, final: boolean): Array<{ from: string; to: string; startNs: bigint }> {
    const found: Array<{ from: string; to: string; startNs: bigint }> = [];
    const handle = (facts: SpanFacts) => {
      facts.handled = true;
      undo.push(() => {
        facts.handled = false;
      });
    };
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.handoff === null) continue;
      handle(facts);
      found.push(facts.handoff);
      const key = pairKey(facts.handoff.from, facts.handoff.to);
      trace.explicitPairs.set(key, (trace.explicitPairs.get(key) ?? 0) + 1);
    }
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.transferTo === null) continue;
      // ADK: the transfer's caller is the agent of the call_llm span the tool call sits under.
      const above = trace.spans.get(facts.parent);
      if (above === undefined && !final) continue;
      handle(facts);
      const from = above?.llmAgent ?? above?.agent?.name ?? null;
      if (from === null || from === facts.transferTo) continue;
      found.push({ from, to: facts.transferTo, startNs: facts.startNs });
      const key = pairKey(from, facts.transferTo);
      trace.explicitPairs.set(key, (trace.explicitPairs.get(key) ?? 0) + 1);
    }
    for (const [spanId, facts] of trace.spans) {
      // A swarm span ends after all its nodes: once it is in, the order of its nodes is known.
      if (facts.handled || !facts.swarm) continue;
      handle(facts);
      found.push(...swarmHandoffs(trace, spanId));
    }
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.agent === null) continue;
      const caller = this.callerOf(trace, facts);
      if (caller === undefined && !final) continue;
      handle(facts);
      if (caller === undefined || caller === null || caller.name === facts.agent.name) continue;
      const key = pairKey(caller.name, facts.agent.name);
      const explicit = trace.explicitPairs.get(key) ?? 0;
      if (explicit > 0) {
        trace.explicitPairs.set(key, explicit - 1);
        continue;
      }
      found.push({ from: caller.name, to: facts.agent.name, startNs: facts.agent.startNs });
    }
    return found.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  }

  /** The nearest agent above, null when there is none, undefined while a span on the way is missing. */
  private callerOf(trace: TraceState, facts: SpanFacts): AgentFacts | null | undefined {
    let parent = facts.parent;
    for (let hops = 0; parent !== '' && hops < trace.spans.size; hops++) {
      const above = trace.spans.get(parent);
      if (above === undefined) return undefined;
      if (above.agent !== null) return above.agent;
      // An agent run as a swarm's node was handed the work by the node before it (swarmHandoffs).
      if (above.node !== null) return null;
      parent = above.parent;
    }
    return null;
  }

  private forget(trace: TraceState): void {
    this.traces.delete(trace.traceId);
    this.spanCount -= trace.spans.size;
    if (!trace.startWritten && !trace.completeWritten) return;
    this.remembered.delete(trace.traceId);
    this.remembered.set(trace.traceId, { startWritten: trace.startWritten, completeWritten: trace.completeWritten, agents: agentsExecuted(trace) });
    for (const oldest of this.remembered.keys()) {
      if (this.remembered.size <= this.limits.maxRememberedTraces) break;
      this.remembered.delete(oldest);
    }
  }
}

/**
 * A swarm's hand-offs: its node spans in start order, each handing to the next. A node is named
 * by the agent invoked under it (its invoke_agent span), else by its node id; one agent is one
 * invocation, however many spans (node, invoke_agent) describe it.
 */
function swarmHandoffs(trace: TraceState, swarmSpanId: string): Array<{ from: string; to: string; startNs: bigint }> {
  const nodes: Array<{ spanId: string; startNs: bigint; name: string }> = [];
  for (const [spanId, facts] of trace.spans) {
    if (facts.parent === swarmSpanId && facts.node !== null) nodes.push({ spanId, startNs: facts.startNs, name: facts.node.id });
  }
  for (const facts of trace.spans.values()) {
    if (facts.agent === null) continue;
    const node = nodes.find((n) => n.spanId === facts.parent);
    if (node !== undefined) node.name = facts.agent.name;
  }
  nodes.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const found: Array<{ from: string; to: string; startNs: bigint }> = [];
  for (let i = 1; i < nodes.length; i++) {
    const [before, after] = [nodes[i - 1], nodes[i]];
    if (before !== undefined && after !== undefined && before.name !== after.name) found.push({ from: before.name, to: after.name, startNs: after.startNs });
  }
  return found;
}

/** Strands ends its swarm span OK after a node failed (the swarm's result is FAILED): the node says it. */
function anyNodeFailed(trace: TraceState): boolean {
  for (const facts of trace.spans.values()) if (facts.node?.failed === true) return true;
  return false;
}

/** Distinct agent names, by first start; bounded as the readers bound agents_executed. */
function agentsExecuted(trace: TraceState): string[] {
  return [...new Set([...trace.priorAgents, ...trace.agentsByStart.map((a) => a.name)])].slice(0, MAX_LIST_ENTRIES);
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Why a span cannot be taken, or null. Ids of all zeros are invalid by the OTLP spec. */
function invalid(span: OtlpSpan): string | null {
  if (!TRACE_ID.test(span.traceId) || /^0+$/.test(span.traceId)) return 'a span without a valid trace id (16 bytes, not all zero)';
  if (!SPAN_ID.test(span.spanId) || /^0+$/.test(span.spanId)) return 'a span without a valid span id (8 bytes, not all zero)';
  if (span.parentSpanId !== '' && !SPAN_ID.test(span.parentSpanId)) return 'a span with a malformed parent span id';
  if (span.startUnixNano <= 0n || span.endUnixNano <= 0n) return 'a span without a start or end time';
  if (span.endUnixNano < span.startUnixNano) return 'a span that ends before it starts';
  return null;
}

function pairKey(from: string, to: string): string {
  return JSON.stringify([from, to]);
}
