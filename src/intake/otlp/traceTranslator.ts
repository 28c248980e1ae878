import { MAX_LIST_ENTRIES } from '../../decode/limits.js';
import { agentOfSpan } from './agentSpanRule.js';
import { adkTransferTarget, isSwarmSpan, llmAgentName, nodeFacts } from './frameworkSpans.js';
import * as attr from './genAiAttributes.js';
import type { OtlpSpan } from './otlpModel.js';
import { invocationRecord, secondsBetween, workflowEvent, type InvocationFacts, type OtlpRecord } from './otlpRecords.js';
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
 *
 * A trace is one workflow, unless it holds `invoke_workflow` spans: each of those is a workflow
 * of its own (id `<trace>-<span>`), completed when that span arrives, and an agent belongs to the
 * nearest one above it. An agent written before its workflow span arrived named the trace; it is
 * written once more, under the same invocation id, naming its workflow (a later record with the
 * same id replaces the earlier one in every fold).
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

/** The trace's own workflow; any other key is the span id of an invoke_workflow span. */
const TRACE_WORKFLOW = '';

interface WorkflowSpan {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly failed: boolean;
  readonly projectName: string;
  readonly sessionId: string | null;
}

interface Handoff {
  readonly from: string;
  readonly to: string;
  readonly startNs: bigint;
}

interface SpanFacts {
  readonly parent: string;
  readonly startNs: bigint;
  readonly agent: AgentFacts | null;
  /** The invocation as written, kept to write it again when its workflow turns out to be a span's. */
  readonly invocation: Omit<InvocationFacts, 'workflowId'> | null;
  /** The workflow key the last invocation record written for this span names. */
  writtenOwner: string | null;
  /** Counted in its workflow's agents (its ancestry up to a workflow span or the root is known). */
  member: boolean;
  /** An invoke_workflow span: a workflow of its own, the agents under it its members. */
  readonly workflow: WorkflowSpan | null;
  readonly handoff: Handoff | null;
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

interface WorkflowState {
  startWritten: boolean;
  completeWritten: boolean;
  /** How many agents the last workflow_complete written named. */
  completeAgents: number;
  /** Its agents held, by start. */
  agents: readonly AgentFacts[];
  /** Its agents before the trace was forgotten, for agents_executed. */
  readonly priorAgents: readonly string[];
}

interface TraceState {
  readonly traceId: string;
  readonly spans: Map<string, SpanFacts>;
  lastSeenMs: number;
  firstStartNs: bigint;
  sessionId: string | null;
  serviceName: string | null;
  root: { readonly startNs: bigint; readonly endNs: bigint; readonly failed: boolean } | null;
  /** By workflow key (TRACE_WORKFLOW or an invoke_workflow span id). */
  workflows: Map<string, WorkflowState>;
  /** Explicit hand-off pairs seen, each able to stand for one parent-chain hand-off of the same pair. */
  readonly explicitPairs: Map<string, number>;
  /** Re-created for a trace already completed and forgotten: its spans add no hand-off again. */
  readonly recalled: boolean;
  /** Agent span id -> the invoke_workflow span its invocation was written under, from before the trace was forgotten. */
  readonly priorOwners: ReadonlyMap<string, string>;
}

interface Remembered {
  readonly workflows: ReadonlyMap<string, { readonly startWritten: boolean; readonly completeWritten: boolean; readonly agents: readonly string[] }>;
  readonly owners: ReadonlyMap<string, string>;
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
      const workflows = new Map<string, WorkflowState>();
      for (const [key, w] of known?.workflows ?? []) {
        workflows.set(key, { startWritten: w.startWritten, completeWritten: w.completeWritten, completeAgents: w.agents.length, agents: [], priorAgents: w.agents });
      }
      trace = {
        traceId,
        spans: new Map(),
        lastSeenMs: nowMs,
        firstStartNs: -1n,
        sessionId: null,
        serviceName: null,
        root: null,
        workflows,
        explicitPairs: new Map(),
        recalled: [...workflows.values()].some((w) => w.completeWritten),
        priorOwners: known?.owners ?? new Map(),
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
    const session = attr.textAttribute(span.attributes, attr.CONVERSATION);
    const before = { firstStartNs: trace.firstStartNs, sessionId: trace.sessionId, serviceName: trace.serviceName, root: trace.root };
    if (trace.firstStartNs < 0n || span.startUnixNano < trace.firstStartNs) trace.firstStartNs = span.startUnixNano;
    trace.serviceName ??= attr.textAttribute(span.resource, attr.SERVICE_NAME);
    if (span.parentSpanId === '' && session !== null) trace.sessionId = session;
    else trace.sessionId ??= session;
    if (span.parentSpanId === '') trace.root = { startNs: span.startUnixNano, endNs: span.endUnixNano, failed: spanOutcome(span).status === 'failure' };
    const invocation: Omit<InvocationFacts, 'workflowId'> | null =
      agentName === null
        ? null
        : {
            invocationId: `${span.traceId}-${span.spanId}`,
            startNs: span.startUnixNano,
            endNs: span.endUnixNano,
            sessionId: session,
            agentName,
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
          };
    const facts: SpanFacts = {
      parent: span.parentSpanId,
      startNs: span.startUnixNano,
      agent: agentName === null ? null : { name: agentName, startNs: span.startUnixNano },
      invocation,
      writtenOwner: null,
      member: false,
      workflow:
        operation === attr.INVOKE_WORKFLOW
          ? {
              startNs: span.startUnixNano,
              endNs: span.endUnixNano,
              failed: spanOutcome(span).status === 'failure',
              projectName: attr.textAttribute(span.attributes, attr.WORKFLOW_NAME) ?? span.name,
              sessionId: session,
            }
          : null,
      handoff: from !== null && to !== null ? { from, to, startNs: span.startUnixNano } : null,
      llmAgent: llmAgentName(span, agentName !== null),
      transferTo: adkTransferTarget(span),
      swarm: isSwarmSpan(operation),
      node: nodeFacts(span, operation),
      handled: trace.recalled,
    };
    trace.spans.set(span.spanId, facts);
    this.spanCount++;
    undo.push(() => {
      trace.spans.delete(span.spanId);
      this.spanCount--;
      trace.firstStartNs = before.firstStartNs;
      trace.sessionId = before.sessionId;
      trace.serviceName = before.serviceName;
      trace.root = before.root;
    });
    if (invocation !== null) {
      // Written at once, so an agent is counted while its trace runs on. Its workflow is a guess
      // while the spans above it are still out: the trace, unless an invoke_workflow span is
      // already known above it. settle() writes it again should the guess prove wrong.
      const owner = trace.priorOwners.get(span.spanId) ?? this.ownerOf(trace, facts, false) ?? TRACE_WORKFLOW;
      facts.writtenOwner = owner;
      records.push(invocationRecord({ ...invocation, workflowId: workflowIdOf(trace, owner) }));
    }
  }

  /**
   * Writes what the trace now allows: an agent joins its workflow once its ancestry is known up
   * to an invoke_workflow span or the root (its invocation written again if it named another
   * workflow); a workflow's start, hand-offs and completion once its span (the root, for the
   * trace) is in, or when flushing; and after that the hand-offs of agent spans that arrive late.
   */
  private settle(trace: TraceState, records: OtlpRecord[], undo: Array<() => void>, flushing: boolean): void {
    const was = new Map([...trace.workflows].map(([key, w]) => [key, { ...w }]));
    undo.push(() => {
      trace.workflows = was;
    });
    for (const facts of trace.spans.values()) {
      if (facts.member || facts.agent === null || facts.invocation === null) continue;
      const owner = this.ownerOf(trace, facts, flushing);
      if (owner === undefined) continue;
      facts.member = true;
      const workflow = this.workflow(trace, owner);
      workflow.agents = [...workflow.agents, facts.agent].sort((a, b) => compareNs(a.startNs, b.startNs));
      const wrote = facts.writtenOwner;
      undo.push(() => {
        facts.member = false;
        facts.writtenOwner = wrote;
      });
      if (wrote !== owner) {
        facts.writtenOwner = owner;
        records.push(invocationRecord({ ...facts.invocation, workflowId: workflowIdOf(trace, owner) }));
      }
    }
    const handoffs = this.handoffs(trace, undo, flushing);
    for (const [key, workflow] of trace.workflows) {
      if (workflow.agents.length === 0 && !workflow.startWritten) continue; // no agent in it (yet)
      const span = key === TRACE_WORKFLOW ? null : (trace.spans.get(key)?.workflow ?? null);
      const ends = key === TRACE_WORKFLOW ? trace.root : span;
      if (ends === null && !flushing && !workflow.startWritten) continue;
      const workflowId = workflowIdOf(trace, key);
      const sessionId = span?.sessionId ?? trace.sessionId;
      if (!workflow.startWritten) {
        records.push(
          workflowEvent('workflow_start', ends?.startNs ?? trace.firstStartNs, workflowId, sessionId, {
            project_name: span?.projectName ?? trace.serviceName,
            agent_plan: [],
            estimated_duration: null,
          }),
        );
        workflow.startWritten = true;
      }
      for (const handoff of handoffs.filter((h) => h.owner === key)) {
        records.push(workflowEvent('agent_handoff', handoff.startNs, workflowId, sessionId, { from_agent: handoff.from, to_agent: handoff.to, artifacts: [] }));
      }
      const executed = agentsExecuted(workflow);
      // An agent span from another process may come after the workflow's own span: the
      // completion is written again naming it (a later workflow_complete replaces the earlier one).
      if (ends !== null && (!workflow.completeWritten || executed.length > workflow.completeAgents)) {
        records.push(
          workflowEvent('workflow_complete', ends.endNs, workflowId, sessionId, {
            duration_seconds: secondsBetween(ends.startNs, ends.endNs),
            success: !ends.failed && !this.anyNodeFailed(trace, key),
            agents_executed: executed,
          }),
        );
        workflow.completeWritten = true;
        workflow.completeAgents = executed.length;
      }
    }
  }

  private workflow(trace: TraceState, key: string): WorkflowState {
    let workflow = trace.workflows.get(key);
    if (workflow === undefined) {
      workflow = { startWritten: false, completeWritten: false, completeAgents: 0, agents: [], priorAgents: [] };
      trace.workflows.set(key, workflow);
    }
    return workflow;
  }

  /**
   * The workflow a span belongs to: the nearest invoke_workflow span above it, else the trace;
   * undefined while a span on the way is missing, unless `final` (a flush: the trace).
   */
  private ownerOf(trace: TraceState, facts: SpanFacts, final: boolean): string | undefined {
    let parent = facts.parent;
    for (let hops = 0; parent !== '' && hops < trace.spans.size; hops++) {
      const above = trace.spans.get(parent);
      if (above === undefined) return final ? TRACE_WORKFLOW : undefined;
      if (above.workflow !== null) return parent;
      parent = above.parent;
    }
    return TRACE_WORKFLOW;
  }

  /**
   * Hand-offs not yet written, in start order, each with its workflow (the receiving side's):
   * explicit hand-off spans, and an agent span whose nearest agent ancestor is another agent (that
   * agent handed it the work). When the chain up (to the caller, and to the workflow) is not all
   * in yet, it waits, unless `final` (a flush). An explicit hand-off and the parent chain
   * describing the same pair count once. Not final at the root span either: spans from other
   * processes may still bring a missing link; only a flush gives up on it.
   */
  private handoffs(trace: TraceState, undo: Array<() => void>, final: boolean): Array<Handoff & { readonly owner: string }> {
    const found: Array<Handoff & { readonly owner: string }> = [];
    const handle = (facts: SpanFacts) => {
      facts.handled = true;
      undo.push(() => {
        facts.handled = false;
      });
    };
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.handoff === null) continue;
      const owner = this.ownerOf(trace, facts, final);
      if (owner === undefined) continue;
      handle(facts);
      found.push({ ...facts.handoff, owner });
      const key = pairKey(facts.handoff.from, facts.handoff.to);
      trace.explicitPairs.set(key, (trace.explicitPairs.get(key) ?? 0) + 1);
    }
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.transferTo === null) continue;
      // ADK: the transfer's caller is the agent of the call_llm span the tool call sits under.
      const above = trace.spans.get(facts.parent);
      const owner = this.ownerOf(trace, facts, final);
      if ((above === undefined || owner === undefined) && !final) continue;
      handle(facts);
      const from = above?.llmAgent ?? above?.agent?.name ?? null;
      if (from === null || from === facts.transferTo) continue;
      found.push({ from, to: facts.transferTo, startNs: facts.startNs, owner: owner ?? TRACE_WORKFLOW });
      const key = pairKey(from, facts.transferTo);
      trace.explicitPairs.set(key, (trace.explicitPairs.get(key) ?? 0) + 1);
    }
    for (const [spanId, facts] of trace.spans) {
      // A swarm span ends after all its nodes: once it is in, the order of its nodes is known.
      if (facts.handled || !facts.swarm) continue;
      const owner = this.ownerOf(trace, facts, final);
      if (owner === undefined) continue;
      handle(facts);
      found.push(...swarmHandoffs(trace, spanId).map((h) => ({ ...h, owner })));
    }
    for (const facts of trace.spans.values()) {
      if (facts.handled || facts.agent === null) continue;
      const caller = this.callerOf(trace, facts);
      const owner = this.ownerOf(trace, facts, final);
      if ((caller === undefined || owner === undefined) && !final) continue;
      handle(facts);
      if (caller === undefined || caller === null || caller.name === facts.agent.name) continue;
      const key = pairKey(caller.name, facts.agent.name);
      const explicit = trace.explicitPairs.get(key) ?? 0;
      if (explicit > 0) {
        trace.explicitPairs.set(key, explicit - 1);
        continue;
      }
      found.push({ from: caller.name, to: facts.agent.name, startNs: facts.agent.startNs, owner: owner ?? TRACE_WORKFLOW });
    }
    return found.sort((a, b) => compareNs(a.startNs, b.startNs));
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

  /** Strands ends its swarm span OK after a node failed (the swarm's result is FAILED): the node says it. */
  private anyNodeFailed(trace: TraceState, key: string): boolean {
    for (const facts of trace.spans.values()) if (facts.node?.failed === true && this.ownerOf(trace, facts, true) === key) return true;
    return false;
  }

  private forget(trace: TraceState): void {
    this.traces.delete(trace.traceId);
    this.spanCount -= trace.spans.size;
    const workflows = new Map<string, { startWritten: boolean; completeWritten: boolean; agents: readonly string[] }>();
    for (const [key, w] of trace.workflows) {
      if (w.startWritten || w.completeWritten) workflows.set(key, { startWritten: w.startWritten, completeWritten: w.completeWritten, agents: agentsExecuted(w) });
    }
    if (workflows.size === 0) return;
    // Which agents were written under an invoke_workflow span, so a late retry of one alone names it again.
    const owners = new Map(trace.priorOwners);
    for (const [spanId, facts] of trace.spans) {
      if (facts.writtenOwner !== null && facts.writtenOwner !== TRACE_WORKFLOW && owners.size < MAX_REMEMBERED_OWNERS) owners.set(spanId, facts.writtenOwner);
    }
    this.remembered.delete(trace.traceId);
    this.remembered.set(trace.traceId, { workflows, owners });
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
function swarmHandoffs(trace: TraceState, swarmSpanId: string): Handoff[] {
  const nodes: Array<{ spanId: string; startNs: bigint; name: string }> = [];
  for (const [spanId, facts] of trace.spans) {
    if (facts.parent === swarmSpanId && facts.node !== null) nodes.push({ spanId, startNs: facts.startNs, name: facts.node.id });
  }
  for (const facts of trace.spans.values()) {
    if (facts.agent === null) continue;
    const node = nodes.find((n) => n.spanId === facts.parent);
    if (node !== undefined) node.name = facts.agent.name;
  }
  nodes.sort((a, b) => compareNs(a.startNs, b.startNs));
  const found: Handoff[] = [];
  for (let i = 1; i < nodes.length; i++) {
    const [before, after] = [nodes[i - 1], nodes[i]];
    if (before !== undefined && after !== undefined && before.name !== after.name) found.push({ from: before.name, to: after.name, startNs: after.startNs });
  }
  return found;
}

/** Distinct agent names, by first start; bounded as the readers bound agents_executed. */
function agentsExecuted(workflow: WorkflowState): string[] {
  return [...new Set([...workflow.priorAgents, ...workflow.agents.map((a) => a.name)])].slice(0, MAX_LIST_ENTRIES);
}

/** The trace id for the trace's own workflow, `<trace id>-<span id>` for an invoke_workflow span's. */
function workflowIdOf(trace: TraceState, key: string): string {
  return key === TRACE_WORKFLOW ? trace.traceId : `${trace.traceId}-${key}`;
}

function compareNs(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Agents remembered per forgotten trace with the workflow span they were written under. */
const MAX_REMEMBERED_OWNERS = MAX_LIST_ENTRIES;

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
