/**
 * Which span is an agent run: the GenAI `invoke_agent` span, and the Vercel AI SDK's
 * `ai.generateText`/`ai.streamText` span named by its telemetry functionId; then the translator
 * on the AI SDK's own span shapes (ai 6, experimental_telemetry), as the int test captures them.
 */
import { describe, expect, it } from 'vitest';
import { agentOfSpan } from '../../src/intake/otlp/agentSpanRule.js';
import type { AttributeValue, OtlpSpan } from '../../src/intake/otlp/otlpModel.js';
import { TraceTranslator } from '../../src/intake/otlp/traceTranslator.js';

const attrs = (entries: Record<string, AttributeValue>) => new Map(Object.entries(entries));
const ai = (operationId: string, functionId?: string) =>
  attrs({ 'ai.operationId': operationId, 'operation.name': `${operationId} ${functionId ?? ''}`, ...(functionId === undefined ? {} : { 'ai.telemetry.functionId': functionId, 'resource.name': functionId }) });

describe('agentOfSpan', () => {
  it('GenAI invoke_agent spans, by operation or (without one) by span name', () => {
    expect(agentOfSpan('invoke_agent coordinator', attrs({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'coordinator' }))).toBe('coordinator');
    expect(agentOfSpan('invoke_agent x', attrs({ 'agent.name': 'older' }))).toBe('older');
    expect(agentOfSpan('invoke_agent x', attrs({ 'gen_ai.operation.name': 'chat', 'gen_ai.agent.name': 'x' }))).toBeNull();
    expect(agentOfSpan('execute_tool', attrs({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.agent.name': 'x' }))).toBeNull();
  });

  it('the AI SDK: generateText and streamText with a functionId; not their model calls, tool calls, or calls without a functionId', () => {
    expect(agentOfSpan('ai.generateText', ai('ai.generateText', 'researcher'))).toBe('researcher');
    expect(agentOfSpan('ai.streamText', ai('ai.streamText', 'writer'))).toBe('writer');
    expect(agentOfSpan('ai.generateText.doGenerate', ai('ai.generateText.doGenerate', 'researcher'))).toBeNull();
    expect(agentOfSpan('ai.toolCall', ai('ai.toolCall', 'coordinator'))).toBeNull();
    expect(agentOfSpan('ai.generateObject', ai('ai.generateObject', 'x'))).toBeNull();
    expect(agentOfSpan('ai.generateText', ai('ai.generateText'))).toBeNull();
  });
});

const TRACE = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const T0 = 1_796_171_000_000_000_000n;
const sec = (s: number) => T0 + BigInt(s) * 1_000_000_000n;
function span(spanId: string, parent: string, name: string, start: number, end: number, attributes: Map<string, AttributeValue>, failed = false): OtlpSpan {
  return {
    traceId: TRACE, spanId, parentSpanId: parent, name, startUnixNano: sec(start), endUnixNano: sec(end), attributes,
    statusCode: failed ? 2 : 0, statusMessage: failed ? 'writer overloaded' : '', events: [], resource: attrs({ 'service.name': 'ai-app' }),
  };
}

describe('TraceTranslator on the AI SDK\'s spans', () => {
  it('an agent called inside another agent\'s tool call is a hand-off; its failure is its own', () => {
    const session = { 'ai.telemetry.metadata.sessionId': 'conv-v' };
    const coordinator = attrs({ ...Object.fromEntries(ai('ai.generateText', 'coordinator')), ...session });
    // As exported, children first: coordinator -> toolCall research -> researcher; -> toolCall write -> writer (fails)
    const spans = [
      span('0000000000000002', '0000000000000001', 'ai.generateText.doGenerate', 0, 1, ai('ai.generateText.doGenerate', 'coordinator')),
      span('0000000000000004', '0000000000000003', 'ai.generateText', 1, 3, ai('ai.generateText', 'researcher')),
      span('0000000000000003', '0000000000000001', 'ai.toolCall', 1, 3, ai('ai.toolCall', 'coordinator')),
      span('0000000000000006', '0000000000000005', 'ai.generateText', 4, 5, ai('ai.generateText', 'writer'), true),
      span('0000000000000005', '0000000000000001', 'ai.toolCall', 4, 5, ai('ai.toolCall', 'coordinator'), true),
      span('0000000000000001', '', 'ai.generateText', 0, 7, coordinator),
    ];
    const { records } = new TraceTranslator().accept(spans, 0);
    const lines = records.map(({ record: r }) =>
      r.event === undefined ? `${String(r.agent_name)} ${(r.outcome as { status: string }).status} ${String(r.session_id)}` : `${String(r.event)} ${String(r.from_agent ?? '')}${r.to_agent === undefined ? '' : `->${String(r.to_agent)}`}`,
    );
    expect(lines).toEqual([
      'researcher success null',
      'writer failure null',
      'coordinator success conv-v',
      'workflow_start ',
      'agent_handoff coordinator->researcher',
      'agent_handoff coordinator->writer',
      'workflow_complete ',
    ]);
    expect(records.at(-1)?.record).toMatchObject({ session_id: 'conv-v', success: true, duration_seconds: 7, agents_executed: ['coordinator', 'researcher', 'writer'] });
  });
});
