/**
 * The OTLP translator on literal spans: GenAI agent spans -> invocations and workflow events,
 * whatever order and batches they arrive in, retried or not, within its bounded state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTracesJson } from '../../src/intake/otlp/otlpJson.js';
import type { AttributeValue, OtlpSpan } from '../../src/intake/otlp/otlpModel.js';
import type { OtlpRecord } from '../../src/intake/otlp/otlpRecords.js';
import { DEFAULT_TRANSLATOR_LIMITS, TraceTranslator } from '../../src/intake/otlp/traceTranslator.js';

const TRACE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const T0 = 1_796_171_000_000_000_000n;
const sec = (s: number) => T0 + BigInt(Math.round(s * 1e6)) * 1000n;

function span(spanId: string, parent: string, start: number, end: number, attributes: Record<string, AttributeValue> = {}, extra: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    traceId: TRACE, spanId, parentSpanId: parent, name: 'span', startUnixNano: sec(start), endUnixNano: sec(end),
    attributes: new Map(Object.entries(attributes)), statusCode: 0, statusMessage: '', events: [], resource: new Map([['service.name', 'svc']]),
    ...extra,
  };
}
const agentAttrs = (name: string) => ({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name });
const agent = (spanId: string, parent: string, start: number, end: number, name: string, extra: Partial<OtlpSpan> = {}) => span(spanId, parent, start, end, agentAttrs(name), extra);

/** Coordinator (root) -> tool -> researcher; coordinator -> writer; an LLM span. Child first, as exported. */
const SCENARIO: readonly OtlpSpan[] = [
  span('0000000000000003', '0000000000000001', 0.1, 0.5, { 'gen_ai.operation.name': 'chat' }),
  agent('0000000000000004', '0000000000000002', 1.5, 3.5, 'researcher'),
  span('0000000000000002', '0000000000000001', 1, 4, { 'gen_ai.operation.name': 'execute_tool' }),
  agent('0000000000000005', '0000000000000001', 5, 9, 'writer', { statusCode: 2, statusMessage: 'model failed' }),
  agent('0000000000000001', '', 0, 10, 'coordinator', { attributes: new Map([...Object.entries(agentAttrs('coordinator')), ['gen_ai.conversation.id', 'conv-1']]) }),
];

const summary = (records: readonly OtlpRecord[]) =>
  records.map(({ record: r }) =>
    r.event === undefined
      ? `invocation ${String(r.agent_name)} ${(r.outcome as { status: string }).status} ${String(r.duration_seconds)}s`
      : r.event === 'agent_handoff'
        ? `handoff ${String(r.from_agent)}->${String(r.to_agent)} at ${String(r.timestamp)}`
        : `${String(r.event)} ${String(r.timestamp)}${r.event === 'workflow_complete' ? ` ${String(r.duration_seconds)}s success=${String(r.success)} ${JSON.stringify(r.agents_executed)}` : ''}`,
  );

const EXPECTED = [
  'invocation researcher success 2s',
  'invocation writer failure 4s',
  'invocation coordinator success 10s',
  'workflow_start 2026-12-02T00:23:20.000000Z',
  'handoff coordinator->researcher at 2026-12-02T00:23:21.500000Z',
  'handoff coordinator->writer at 2026-12-02T00:23:25.000000Z',
  'workflow_complete 2026-12-02T00:23:30.000000Z 10s success=true ["coordinator","researcher","writer"]',
];

describe('TraceTranslator', () => {
  it('turns agent spans into invocations as they come, and the trace into a workflow when its root span ends', () => {
    const t = new TraceTranslator();
    const first = t.accept(SCENARIO.slice(0, 4), 0);
    expect(summary(first.records)).toEqual(EXPECTED.slice(0, 2));
    const second = t.accept(SCENARIO.slice(4), 1);
    expect(summary(second.records)).toEqual(EXPECTED.slice(2));
    const coordinator = second.records[0]!.record;
    expect(coordinator).toMatchObject({ invocation_id: `${TRACE}-0000000000000001`, workflow_id: TRACE, session_id: 'conv-1', timestamp: '2026-12-02T00:23:20.000000Z' });
    expect(second.records[1]!.record).toMatchObject({ session_id: 'conv-1', project_name: 'svc' });
  });

  it('child first, whatever the batches and retries, writes each record once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }), fc.integer({ min: 1, max: 5 }), (retries, cut) => {
        const t = new TraceTranslator();
        const records: OtlpRecord[] = [];
        records.push(...t.accept(SCENARIO.slice(0, cut), 0).records);
        records.push(...t.accept(retries.map((i) => SCENARIO[i]!), 1).records);
        records.push(...t.accept(SCENARIO.slice(cut), 2).records);
        records.push(...t.accept(SCENARIO, 3).records);
        expect(summary(records).sort()).toEqual([...EXPECTED].sort());
      }),
    );
  });

  it('in any order, across batches and retries, ends in what the readers take as the same answer (property)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 6 }), fc.integer({ min: 0, max: 5 }), (order, retries, cut) => {
        const t = new TraceTranslator();
        const spans = order.map((i) => SCENARIO[i]!);
        const records = [
          ...t.accept(spans.slice(0, cut), 0).records,
          ...t.accept(retries.map((i) => SCENARIO[i]!), 1).records,
          ...t.accept(spans.slice(cut), 2).records,
        ];
        // what the folds keep: the last record per invocation id and the last complete line; every hand-off
        const invocations = new Map(records.filter((r) => r.kind === 'invocations').map((r) => [r.record.invocation_id, r]));
        const completes = records.filter((r) => r.record.event === 'workflow_complete');
        const kept = [...invocations.values(), ...records.filter((r) => r.record.event === 'workflow_start' || r.record.event === 'agent_handoff'), ...completes.slice(-1)];
        const final = summary(kept).map((line) => line.replace(/\[.*\]$/, '[agents]'));
        expect(final.sort()).toEqual(EXPECTED.map((line) => line.replace(/\[.*\]$/, '[agents]')).sort());
        expect(new Set(completes.at(-1)?.record.agents_executed as string[])).toEqual(new Set(['coordinator', 'researcher', 'writer']));
      }),
    );
  });

  it('remembers a forgotten trace: a late retry of it writes no workflow event again', () => {
    const t = new TraceTranslator({ ...DEFAULT_TRANSLATOR_LIMITS, traceIdleMs: 1000 });
    t.accept(SCENARIO, 0);
    expect(t.sweep(5000)).toEqual([]);
    expect(t.heldSpans).toBe(0);
    // the invocations come again, identical (a later record with the same id replaces the earlier one)
    expect(summary(t.accept(SCENARIO, 6000).records)).toEqual(EXPECTED.slice(0, 3));
  });

  it('flushes a trace idle past the time limit: its start and hand-offs now, its completion when the root comes', () => {
    const t = new TraceTranslator({ ...DEFAULT_TRANSLATOR_LIMITS, traceIdleMs: 1000 });
    t.accept(SCENARIO.slice(0, 4), 0);
    expect(t.sweep(999)).toEqual([]);
    // the coordinator's span is not in yet: no agent's caller is known, so no hand-off is written
    expect(summary(t.sweep(1000))).toEqual(['workflow_start 2026-12-02T00:23:20.100000Z']);
    expect(summary(t.accept(SCENARIO.slice(4), 2000).records)).toEqual([
      EXPECTED[2],
      'workflow_complete 2026-12-02T00:23:30.000000Z 10s success=true ["researcher","writer","coordinator"]',
    ]);
  });

  it('flushes the idlest traces beyond the memory cap', () => {
    const t = new TraceTranslator({ ...DEFAULT_TRANSLATOR_LIMITS, maxSpans: 3 });
    const other = (s: OtlpSpan) => ({ ...s, traceId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' });
    t.accept([SCENARIO[1]!, SCENARIO[2]!], 0);
    t.accept([other(SCENARIO[1]!), other(SCENARIO[2]!)], 1);
    expect(t.heldSpans).toBe(4);
    const flushed = t.sweep(2);
    expect(flushed.map((r) => r.record.workflow_id)).toEqual([TRACE]);
    expect(t.heldSpans).toBe(2);
  });

  it('reads the outcome from status, error.type, exception events and gen_ai.agent.status', () => {
    const t = new TraceTranslator();
    const outcome = (extra: Partial<OtlpSpan>, attrs: Record<string, AttributeValue> = {}, id = '00000000000000a1') => {
      const s = agent(id, '00000000000000ff', 1, 2, 'x', extra);
      const withAttrs = { ...s, attributes: new Map([...s.attributes, ...Object.entries(attrs)]) };
      return t.accept([withAttrs], 0).records[0]!.record.outcome as { status: string; error_message: string | null };
    };
    expect(outcome({}, {}, '00000000000000a1')).toMatchObject({ status: 'success', error_message: null });
    expect(outcome({ statusCode: 2, statusMessage: 'boom' }, {}, '00000000000000a2')).toMatchObject({ status: 'failure', error_message: 'boom' });
    expect(outcome({}, { 'error.type': 'Timeout' }, '00000000000000a3')).toMatchObject({ status: 'failure', error_message: 'Timeout' });
    expect(outcome({ events: [{ name: 'exception', timeUnixNano: sec(1.5), attributes: new Map([['exception.message', 'kaput']]) }] }, {}, '00000000000000a4')).toMatchObject({ status: 'failure', error_message: 'kaput' });
    expect(outcome({}, { 'gen_ai.agent.status': 'FAILED' }, '00000000000000a5')).toMatchObject({ status: 'failure' });
    expect(outcome({}, { 'gen_ai.agent.status': 'partial' }, '00000000000000a6')).toMatchObject({ status: 'partial' });
  });

  it('accepts older attribute names, and counts an agent nested in a span of its own name once, with no hand-off to itself', () => {
    const t = new TraceTranslator();
    const records = t.accept([
      span('0000000000000002', '0000000000000001', 1, 2, { 'gen_ai.operation.name': 'invoke_agent', 'agent.name': 'solo', 'session.id': 's-1' }),
      agent('0000000000000001', '', 0, 3, 'solo'),
    ], 0).records;
    expect(summary(records).filter((line) => line.startsWith('handoff'))).toEqual([]);
    expect(records[0]!.record).toMatchObject({ agent_name: 'solo', session_id: 's-1' });
  });

  it('rejects spans without ids or ending before they start, and counts them', () => {
    const t = new TraceTranslator();
    const result = t.accept([
      { ...agent('0000000000000001', '', 0, 1, 'a'), traceId: '' },
      agent('', '', 0, 1, 'b'),
      agent('0000000000000003', '', 2, 1, 'c'),
      { ...agent('0000000000000004', '', 0, 1, 'd'), traceId: '00000000000000000000000000000000' },
      agent('0000000000000005', '', 0, 1, 'ok'),
    ], 0);
    expect(result.rejected).toBe(4);
    expect(result.rejectReason).toMatch(/trace id/);
    expect(summary(result.records)[0]).toBe('invocation ok success 1s');
  });

  it('undo forgets a call whose records could not be written: the retry writes them', () => {
    const t = new TraceTranslator();
    const failed = t.accept(SCENARIO, 0);
    failed.undo();
    expect(t.heldSpans).toBe(0);
    expect(summary(t.accept(SCENARIO, 1).records)).toEqual(EXPECTED);
  });
});

describe('OTLP JSON decoding', () => {
  it('reads hex ids, 64-bit integers as strings, enums as numbers, and the proto field names too', () => {
    const decoded = decodeTracesJson(JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scope_spans: [{ spans: [{
        traceId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', span_id: '0000000000000001', startTimeUnixNano: '1796171000123456789', endTimeUnixNano: 1796171001000000000,
        status: { code: 2, message: 'x' }, attributes: [{ key: 'n', value: { intValue: '42' } }, { key: 'l', value: { arrayValue: { values: [{ boolValue: true }] } } }],
      }] }] }],
    }));
    expect(decoded.ok).toBe(true);
    const s = decoded.ok ? decoded.items[0]! : undefined;
    expect(s).toMatchObject({ traceId: TRACE, spanId: '0000000000000001', startUnixNano: 1796171000123456789n, statusCode: 2 });
    expect(s?.attributes.get('n')).toBe(42);
    expect(s?.attributes.get('l')).toEqual([true]);
    expect(s?.resource.get('service.name')).toBe('svc');
  });

  it('rejects what is not the OTLP shape', () => {
    expect(decodeTracesJson('not json').ok).toBe(false);
    expect(decodeTracesJson('{"resourceSpans": {}}').ok).toBe(false);
    expect(decodeTracesJson('{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "soon"}]}]}]}').ok).toBe(false);
  });
});

/** Span ids by a short number, so the framework traces below read as trees. */
const id = (n: number) => n.toString(16).padStart(16, '0');
const named = (spanId: number, parent: number, start: number, end: number, name: string, attributes: Record<string, AttributeValue> = {}, extra: Partial<OtlpSpan> = {}) =>
  span(id(spanId), parent === 0 ? '' : id(parent), start, end, attributes, { name, ...extra });
const handoffsOf = (records: readonly OtlpRecord[]) => summary(records).filter((line) => line.startsWith('handoff')).map((line) => line.replace(/ at .*/, ''));

describe('Google ADK spans', () => {
  const callLlm = (spanId: number, parent: number, start: number, end: number, agentName: string) =>
    named(spanId, parent, start, end, 'call_llm', { 'gen_ai.system': 'gcp.vertex.agent', 'gen_ai.agent.name': agentName });
  const transfer = (spanId: number, parent: number, at: number, to: string) =>
    named(spanId, parent, at, at + 0.01, 'execute_tool transfer_to_agent', {
      'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'transfer_to_agent', 'gcp.vertex.agent.tool_call_args': JSON.stringify({ agentName: to }),
    });
  const adkAgent = (spanId: number, parent: number, start: number, end: number, name: string) => named(spanId, parent, start, end, `invoke_agent ${name}`, agentAttrs(name));

  it('a transfer_to_agent call under a call_llm span is a hand-off from that call_llm agent, counted once with the agent span nested under it', () => {
    // As ADK JS exports it: the target agent runs inside the caller's call_llm span, beside the tool call.
    const spans = [
      transfer(5, 3, 1.1, 'researcher'),
      callLlm(6, 4, 1.3, 1.8, 'researcher'),
      adkAgent(4, 3, 1.2, 2, 'researcher'),
      callLlm(3, 2, 1, 2.1, 'coordinator'),
      adkAgent(2, 1, 0.5, 2.2, 'coordinator'),
      named(1, 0, 0, 2.5, 'invocation'),
    ];
    expect(handoffsOf(new TraceTranslator().accept(spans, 0).records)).toEqual(['handoff coordinator->researcher']);
  });

  it('gives the hand-off when the target agent does not run under the caller (a transfer at the runner level)', () => {
    const spans = [
      transfer(4, 3, 1.1, 'writer'),
      callLlm(3, 2, 1, 1.5, 'coordinator'),
      adkAgent(2, 1, 0.5, 1.6, 'coordinator'),
      adkAgent(5, 1, 2, 3, 'writer'),
      named(1, 0, 0, 3.5, 'invocation'),
    ];
    const records = new TraceTranslator().accept(spans, 0).records;
    expect(handoffsOf(records)).toEqual(['handoff coordinator->writer']);
    expect(summary(records).filter((line) => line.startsWith('invocation')).length).toBe(2);
  });

  it('a transfer whose arguments were not captured, or that is another tool, is no hand-off of its own', () => {
    const spans = [
      named(4, 3, 1.1, 1.2, 'execute_tool transfer_to_agent', { 'gen_ai.tool.name': 'transfer_to_agent', 'gcp.vertex.agent.tool_call_args': '{}' }),
      named(6, 3, 1.2, 1.3, 'execute_tool search', { 'gen_ai.tool.name': 'search', 'gcp.vertex.agent.tool_call_args': JSON.stringify({ agentName: 'writer' }) }),
      callLlm(3, 2, 1, 1.5, 'coordinator'),
      adkAgent(2, 1, 0.5, 1.6, 'coordinator'),
      named(1, 0, 0, 3.5, 'invocation'),
    ];
    expect(handoffsOf(new TraceTranslator().accept(spans, 0).records)).toEqual([]);
  });
});

describe('Strands swarm spans', () => {
  const swarmSpan = (spanId: number, start: number, end: number) =>
    named(spanId, 0, start, end, 'invoke_swarm swarm', { 'gen_ai.operation.name': 'invoke_swarm', 'gen_ai.agent.name': 'swarm', 'gen_ai.agent.id': 'swarm' });
  const node = (spanId: number, parent: number, start: number, end: number, nodeId: string, status: string) =>
    named(spanId, parent, start, end, `node ${nodeId}`, { 'gen_ai.operation.name': 'execute_node', 'gen_ai.agent.id': nodeId, 'gen_ai.agent.node_type': 'agentNode', 'gen_ai.agent.status': status });
  const strandsAgent = (spanId: number, parent: number, start: number, end: number, name: string, extra: Partial<OtlpSpan> = {}) =>
    named(spanId, parent, start, end, `invoke_agent ${name}`, { ...agentAttrs(name), 'gen_ai.agent.id': name }, extra);

  it('the order of the nodes gives the hand-offs; an agent is one invocation, not one for its node span and one for its invoke_agent span', () => {
    const spans = [
      strandsAgent(3, 2, 0.2, 0.9, 'coordinator'),
      node(2, 1, 0.1, 1, 'coordinator', 'COMPLETED'),
      strandsAgent(5, 4, 1.2, 1.9, 'researcher'),
      node(4, 1, 1.1, 2, 'researcher', 'COMPLETED'),
      strandsAgent(7, 6, 2.2, 2.9, 'writer', { statusCode: 2, statusMessage: 'writer model unavailable' }),
      node(6, 1, 2.1, 3, 'writer', 'FAILED'),
      // Strands ends the swarm span OK although its result is FAILED.
      swarmSpan(1, 0, 3.1),
    ];
    const records = new TraceTranslator().accept(spans, 0).records;
    expect(summary(records).filter((line) => line.startsWith('invocation'))).toEqual([
      'invocation coordinator success 0.7s',
      'invocation researcher success 0.7s',
      'invocation writer failure 0.7s',
    ]);
    expect(handoffsOf(records)).toEqual(['handoff coordinator->researcher', 'handoff researcher->writer']);
    expect(summary(records).find((line) => line.startsWith('workflow_complete'))).toContain('success=false ["coordinator","researcher","writer"]');
  });

  it('names a node by its node id when no agent span came under it, and gives its hand-offs once however the spans are batched', () => {
    const spans = [node(2, 1, 0.1, 1, 'coordinator', 'COMPLETED'), strandsAgent(5, 4, 1.2, 1.9, 'researcher'), node(4, 1, 1.1, 2, 'researcher', 'COMPLETED'), swarmSpan(1, 0, 2.1)];
    const t = new TraceTranslator();
    const first = t.accept(spans.slice(0, 2), 0).records;
    const rest = t.accept(spans.slice(2), 1).records;
    const again = t.accept(spans, 2).records;
    expect(handoffsOf([...first, ...rest, ...again])).toEqual(['handoff coordinator->researcher']);
  });
});

describe('invoke_workflow spans', () => {
  const workflowSpan = (spanId: number, parent: number, start: number, end: number, name: string, extra: Partial<OtlpSpan> = {}) =>
    named(spanId, parent, start, end, `invoke_workflow ${name}`, { 'gen_ai.operation.name': 'invoke_workflow', 'gen_ai.workflow.name': name }, extra);
  const a = (spanId: number, parent: number, start: number, end: number, name: string, extra: Partial<OtlpSpan> = {}) => named(spanId, parent, start, end, `invoke_agent ${name}`, agentAttrs(name), extra);
  const W1 = `${TRACE}-${id(10)}`;
  const W2 = `${TRACE}-${id(20)}`;
  /** A run (root, no workflow) holding two workflows and one agent of its own; child first. */
  const RUN: readonly OtlpSpan[] = [
    a(12, 11, 1.5, 2.5, 'researcher'),
    a(11, 10, 1.1, 3, 'planner'),
    workflowSpan(10, 1, 1, 3.2, 'research'),
    a(21, 20, 4.1, 5, 'writer', { statusCode: 2, statusMessage: 'model failed' }),
    workflowSpan(20, 1, 4, 5.5, 'report', { statusCode: 2, statusMessage: 'writer failed' }),
    a(30, 1, 6, 7, 'reviewer'),
    named(1, 0, 0, 8, 'run'),
  ];
  /** What the folds keep: the last invocation per id, the last complete per workflow, every start and hand-off. */
  const kept = (records: readonly OtlpRecord[]) => {
    const invocations = new Map(records.filter((r) => r.kind === 'invocations').map((r) => [r.record.invocation_id, `${String(r.record.agent_name)} in ${String(r.record.workflow_id)}`]));
    const completes = new Map(records.filter((r) => r.record.event === 'workflow_complete').map((r) => [r.record.workflow_id, `complete ${String(r.record.workflow_id)} success=${String(r.record.success)} ${JSON.stringify(r.record.agents_executed)}`]));
    const others = records
      .filter((r) => r.record.event === 'workflow_start' || r.record.event === 'agent_handoff')
      .map((r) => (r.record.event === 'workflow_start' ? `start ${String(r.record.workflow_id)} ${String(r.record.project_name)} at ${String(r.record.timestamp)}` : `handoff ${String(r.record.from_agent)}->${String(r.record.to_agent)} in ${String(r.record.workflow_id)}`));
    return [...invocations.values(), ...others, ...completes.values()].sort();
  };
  const EXPECTED_RUN = [
    `planner in ${W1}`,
    `researcher in ${W1}`,
    `writer in ${W2}`,
    `reviewer in ${TRACE}`,
    `start ${W1} research at 2026-12-02T00:23:21.000000Z`,
    `start ${W2} report at 2026-12-02T00:23:24.000000Z`,
    `start ${TRACE} svc at 2026-12-02T00:23:20.000000Z`,
    `handoff planner->researcher in ${W1}`,
    `complete ${W1} success=true ["planner","researcher"]`,
    `complete ${W2} success=false ["writer"]`,
    `complete ${TRACE} success=true ["reviewer"]`,
  ].sort();

  it('two invoke_workflow spans in one trace are two workflows, completed as each span arrives; an agent outside both keeps the trace', () => {
    const t = new TraceTranslator();
    const first = t.accept(RUN.slice(0, 3), 0).records;
    // the research workflow completes with its span, before the trace's root has come
    expect(kept(first)).toEqual([`planner in ${W1}`, `researcher in ${W1}`, `start ${W1} research at 2026-12-02T00:23:21.000000Z`, `handoff planner->researcher in ${W1}`, `complete ${W1} success=true ["planner","researcher"]`].sort());
    const rest = t.accept(RUN.slice(3), 1).records;
    expect(kept([...first, ...rest])).toEqual(EXPECTED_RUN);
    expect(rest.find((r) => r.record.event === 'workflow_complete' && r.record.workflow_id === W2)?.record).toMatchObject({ duration_seconds: 1.5, timestamp: '2026-12-02T00:23:25.500000Z' });
  });

  it('an agent that arrives before its workflow span ends up in that workflow, in any order and batching, retried or not (property)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 7, maxLength: 7 }), fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 6 }), fc.integer({ min: 0, max: 7 }), (order, retries, cut) => {
        const t = new TraceTranslator();
        const spans = order.map((i) => RUN[i]!);
        const records = [...t.accept(spans.slice(0, cut), 0).records, ...t.accept(retries.map((i) => RUN[i]!), 1).records, ...t.accept(spans.slice(cut), 2).records];
        expect(kept(records)).toEqual(EXPECTED_RUN);
        // each workflow event once; an invocation at most twice (a guess, then its workflow span)
        const events = records.filter((r) => r.record.event !== undefined && r.record.event !== 'workflow_complete').map((r) => JSON.stringify(r.record));
        expect(new Set(events).size).toBe(events.length);
        const ids = records.filter((r) => r.kind === 'invocations').map((r) => `${String(r.record.invocation_id)} ${String(r.record.workflow_id)}`);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('a retry writes nothing again, and a late retry of an agent alone, after its trace was forgotten, still names its workflow span', () => {
    const t = new TraceTranslator({ ...DEFAULT_TRANSLATOR_LIMITS, traceIdleMs: 1000 });
    t.accept(RUN, 0);
    expect(t.accept(RUN, 1).records).toEqual([]);
    expect(t.sweep(5000)).toEqual([]);
    const late = t.accept([RUN[0]!], 6000).records;
    expect(late.map((r) => `${String(r.record.agent_name ?? r.record.event)} ${String(r.record.workflow_id)}`)).toEqual([`researcher ${W1}`]);
  });

  it('a trace flushed before its workflow span came gives its agents to the trace', () => {
    const t = new TraceTranslator({ ...DEFAULT_TRANSLATOR_LIMITS, traceIdleMs: 1000 });
    const records = [...t.accept(RUN.slice(0, 2), 0).records, ...t.sweep(1000)];
    expect(kept(records)).toEqual([`planner in ${TRACE}`, `researcher in ${TRACE}`, `start ${TRACE} svc at 2026-12-02T00:23:21.100000Z`, `handoff planner->researcher in ${TRACE}`].sort());
  });
});
