/**
 * The OpenAI Agents SDK's trace callbacks -> records, on literal spans shaped as the SDK 0.14
 * emits them (task span per run, agent spans under it, hand-off spans under the turn span of the
 * agent handing off, an agent run as a tool nested under the function span).
 */
import { describe, expect, it } from 'vitest';
import type { AgentsSpan, AgentsSpanData } from '../../src/intake/openaiAgents/agentsSpans.js';
import { AgentsTraceTranslator } from '../../src/intake/openaiAgents/agentsTraceTranslator.js';
import type { OtlpRecord } from '../../src/intake/otlp/otlpRecords.js';

const T = 'trace_0123456789abcdef0123456789abcdef';
const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s)).toISOString();
const ms = (s: number) => Date.UTC(2026, 11, 1, 0, 0, s);

function span(spanId: string, parentId: string | null, spanData: AgentsSpanData, start: number, end: number, error: AgentsSpan['error'] = null): AgentsSpan {
  return { traceId: T, spanId, parentId, spanData, startedAt: at(start), endedAt: at(end), error };
}

/** Feeds starts and ends in the order given (the SDK's order), collecting every record. */
function play(translator: AgentsTraceTranslator, steps: Array<['start' | 'end', AgentsSpan]>, traceEnds = true): OtlpRecord[] {
  const trace = { traceId: T, name: 'wf', groupId: 'conv-1' };
  const records = [...translator.traceStarted(trace, ms(0))];
  for (const [what, s] of steps) records.push(...(what === 'start' ? translator.spanStarted(s, ms(0)) : translator.spanEnded(s, ms(0))));
  if (traceEnds) records.push(...translator.traceEnded(trace, ms(10)));
  return records;
}

const events = (records: OtlpRecord[]) => records.filter((r) => r.kind === 'workflow_events').map((r) => r.record);
const invocations = (records: OtlpRecord[]) => records.filter((r) => r.kind === 'invocations').map((r) => r.record);

describe('OpenAI Agents trace translator', () => {
  it('a hand-off span, the agent it hands to, a failed tool the agent survives', () => {
    const task = span('span_task', null, { type: 'task', name: 'wf' }, 0, 9);
    const coord = span('span_coord', 'span_task', { type: 'agent', name: 'coordinator' }, 0, 2);
    const turn = span('span_turn1', 'span_coord', { type: 'turn' }, 0, 2);
    const handoff = span('span_h', 'span_turn1', { type: 'handoff', from_agent: 'coordinator', to_agent: 'researcher' }, 1, 1);
    const researcher = span('span_res', 'span_task', { type: 'agent', name: 'researcher' }, 2, 9);
    const turn2 = span('span_turn2', 'span_res', { type: 'turn' }, 2, 5);
    const search = span('span_fn', 'span_turn2', { type: 'function', name: 'search' }, 3, 4, { message: 'Error running tool (non-fatal)', data: { error: 'Error: down' } });
    const records = play(new AgentsTraceTranslator(), [
      ['start', task], ['start', coord], ['start', turn], ['start', handoff], ['end', handoff], ['start', researcher], ['start', turn2],
      ['end', turn], ['end', coord], ['start', search], ['end', search], ['end', turn2], ['end', researcher], ['end', task],
    ]);
    expect(events(records)).toEqual([
      { timestamp: '2026-12-01T00:00:00.000000Z', event: 'workflow_start', workflow_id: T, session_id: 'conv-1', project_name: 'wf', agent_plan: [], estimated_duration: null },
      { timestamp: '2026-12-01T00:00:01.000000Z', event: 'agent_handoff', workflow_id: T, session_id: 'conv-1', from_agent: 'coordinator', to_agent: 'researcher', artifacts: [] },
      // completed by the run's task span (0-9 s), not at the trace's end (10 s)
      { timestamp: '2026-12-01T00:00:09.000000Z', event: 'workflow_complete', workflow_id: T, session_id: 'conv-1', duration_seconds: 9, success: true, agents_executed: ['coordinator', 'researcher'] },
    ]);
    const [first, second] = invocations(records);
    expect(first).toMatchObject({ invocation_id: 'span_coord', agent_name: 'coordinator', workflow_id: T, session_id: 'conv-1', duration_seconds: 2, tools_used: [], outcome: { status: 'success', error_message: null } });
    expect(second).toMatchObject({
      invocation_id: 'span_res', agent_name: 'researcher', timestamp: '2026-12-01T00:00:02.000000Z', duration_seconds: 7, tools_used: ['search'],
      outcome: { status: 'success' }, metadata: { source: 'openai-agents', trace_id: T, span_id: 'span_res', parent_span_id: 'span_task', failed_tools: ['search'] },
    });
  });

  it('a failed agent fails its invocation and the workflow, with the cause as the message, though the SDK never ends the trace', () => {
    const failure = { message: 'Error in agent run', data: { error: 'Error: model overloaded' } };
    // The SDK serializes its task span as a custom span with sdk_span_type.
    const task = span('span_task', null, { type: 'custom', name: 'task', data: { sdk_span_type: 'task' } }, 0, 3, failure);
    const writer = span('span_w', 'span_task', { type: 'agent', name: 'writer' }, 1, 3, failure);
    const records = play(new AgentsTraceTranslator(), [['start', task], ['start', writer], ['end', writer], ['end', task]], false);
    expect(invocations(records)[0]).toMatchObject({ agent_name: 'writer', outcome: { status: 'failure', error_message: 'Error: model overloaded' } });
    expect(events(records).at(-1)).toMatchObject({ event: 'workflow_complete', timestamp: '2026-12-01T00:00:03.000000Z', duration_seconds: 3, success: false, agents_executed: ['writer'] });
  });

  it('an agent run inside another agent\'s tool call is a hand-off; its failure fails only that call', () => {
    const failure = { message: 'Error in agent run', data: { error: 'Error: boom' } };
    const task = span('span_task', null, { type: 'task' }, 0, 9);
    const coord = span('span_coord', 'span_task', { type: 'agent', name: 'coordinator' }, 0, 9);
    const fn = span('span_fn', 'span_coord', { type: 'function', name: 'ask_researcher' }, 1, 5, failure);
    const inner = span('span_inner', 'span_fn', { type: 'task' }, 1, 5, failure);
    const researcher = span('span_res', 'span_inner', { type: 'agent', name: 'researcher' }, 2, 5, failure);
    const records = play(new AgentsTraceTranslator(), [
      ['start', task], ['start', coord], ['start', fn], ['start', inner], ['start', researcher], ['end', researcher], ['end', inner], ['end', fn], ['end', coord], ['end', task],
    ]);
    expect(events(records).filter((e) => e.event === 'agent_handoff')).toMatchObject([{ from_agent: 'coordinator', to_agent: 'researcher', timestamp: '2026-12-01T00:00:02.000000Z' }]);
    expect(invocations(records).map((r) => [r.agent_name, (r.outcome as { status: string }).status, r.tools_used])).toEqual([
      ['researcher', 'failure', []],
      ['coordinator', 'success', ['ask_researcher']],
    ]);
    expect(events(records).at(-1)).toMatchObject({ success: true, agents_executed: ['coordinator', 'researcher'] });
  });

  it('a hand-off span and the same pair by nesting count once; an agent under its own name is no hand-off', () => {
    const coord = span('span_coord', null, { type: 'agent', name: 'coordinator' }, 0, 9);
    const handoff = span('span_h', 'span_coord', { type: 'handoff', from_agent: 'coordinator', to_agent: 'writer' }, 1, 1);
    const writer = span('span_w', 'span_coord', { type: 'agent', name: 'writer' }, 2, 3);
    const again = span('span_c2', 'span_coord', { type: 'agent', name: 'coordinator' }, 4, 5);
    const records = play(new AgentsTraceTranslator(), [['start', coord], ['start', handoff], ['end', handoff], ['start', writer], ['end', writer], ['start', again], ['end', again], ['end', coord]]);
    expect(events(records).filter((e) => e.event === 'agent_handoff').map((e) => [e.from_agent, e.to_agent])).toEqual([['coordinator', 'writer']]);
    // no task span (spans made outside run()): the trace's end completes the workflow
    expect(events(records).at(-1)).toMatchObject({ event: 'workflow_complete', timestamp: '2026-12-01T00:00:10.000000Z', duration_seconds: 10 });
  });

  it('holds only open spans and traces, within its caps', () => {
    const translator = new AgentsTraceTranslator({ maxOpenSpans: 2, maxOpenTraces: 1 });
    const records = play(translator, [['start', span('span_a', null, { type: 'task' }, 0, 1)], ['end', span('span_a', null, { type: 'task' }, 0, 1)]]);
    expect(records).toHaveLength(2);
    expect([translator.openSpans, translator.openTraces]).toEqual([0, 0]);
    for (let i = 0; i < 5; i++) translator.spanStarted({ ...span(`span_${i}`, null, { type: 'task' }, 0, 1), traceId: `trace_${i}` }, ms(0));
    expect([translator.openSpans, translator.openTraces, translator.evicted]).toEqual([2, 1, 7]);
  });
});
