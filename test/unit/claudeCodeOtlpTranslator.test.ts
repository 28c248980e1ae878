/**
 * The Claude Code OTLP translator on the captured payloads of fixtures/claude-code/otel-examples.json
 * (Claude Code 2.1.328's real log events and spans): the records its hooks would write for the
 * same session (docs/claude-code.md), whatever the order and however often the exporter sends them.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaudeCodeTranslator } from '../../src/intake/otlp/claudeCodeTranslator.js';
import type { AttributeValue, OtlpLogRecord, OtlpSpan } from '../../src/intake/otlp/otlpModel.js';
import { DEFAULT_TRANSLATOR_LIMITS } from '../../src/intake/otlp/traceTranslator.js';

interface ExampleLog {
  body: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, AttributeValue>;
}
interface ExampleSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  start: string;
  end: string;
  status: { code: number; message?: string };
  attributes: Record<string, AttributeValue>;
}
const examples = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/claude-code/otel-examples.json'), 'utf8')) as {
  logs: Record<string, ExampleLog>;
  spans: Record<string, ExampleSpan>;
};

const RESOURCE = new Map<string, AttributeValue>([['service.name', 'claude-code']]);

function log(key: string, changes: Record<string, AttributeValue> = {}): OtlpLogRecord {
  const e = examples.logs[key]!;
  const attributes = { ...e.attributes, ...changes };
  return {
    timeUnixNano: BigInt(Date.parse(String(attributes['event.timestamp']))) * 1_000_000n,
    observedTimeUnixNano: 0n,
    traceId: e.traceId,
    spanId: e.spanId,
    body: e.body,
    attributes: new Map(Object.entries(attributes)),
    resource: RESOURCE,
  };
}

function span(key: string): OtlpSpan {
  const e = examples.spans[key]!;
  return {
    traceId: e.traceId,
    spanId: e.spanId,
    parentSpanId: e.parentSpanId,
    name: key.split(' ')[0]!,
    startUnixNano: BigInt(e.start),
    endUnixNano: BigInt(e.end),
    attributes: new Map(Object.entries(e.attributes)),
    statusCode: e.status.code,
    statusMessage: e.status.message ?? '',
    events: [],
    resource: RESOURCE,
  };
}

const CATEGORIES = (type: string) => (type === 'backend-architect' ? 'development' : null);
const translator = () => new ClaudeCodeTranslator(DEFAULT_TRANSLATOR_LIMITS, CATEGORIES);

/** Session b8489706 (otel-run10): the main agent launches backend-architect in the background; it runs a Bash echo and completes. */
const BACKGROUND_LOGS = ['user_prompt', 'tool_decision', 'tool_result Agent', 'api_request [subagent]', 'tool_result [subagent] Bash', 'subagent_completed [subagent]'];
const BACKGROUND_SPANS = ['claude_code.tool Agent', 'claude_code.tool.execution', 'claude_code.llm_request [subagent]', 'claude_code.interaction'];
const WORKFLOW = 'wf-c4d6f2eb-3b7c-495d-b79c-a021ed2d528e';
const SUBAGENT = 'ad6f538733c704279';

function lastRecords(records: readonly { kind: string; record: Readonly<Record<string, unknown>> }[]) {
  const invocations = new Map<string, Readonly<Record<string, unknown>>>();
  const events: Readonly<Record<string, unknown>>[] = [];
  for (const { kind, record } of records) {
    if (kind === 'invocations') invocations.set(String(record.invocation_id), record);
    else events.push(record);
  }
  return { invocations, events };
}

describe('Claude Code OTLP -> the hook records', () => {
  it('a background subagent: invocation by agent_id, hand-off from main, the workflow complete once the session is let go', () => {
    const t = translator();
    const first = t.accept(BACKGROUND_LOGS.map((k) => log(k)), BACKGROUND_SPANS.map(span), 0);
    const { invocations, events } = lastRecords(first.records);
    expect(events.map((e) => e.event)).toEqual(['workflow_start', 'agent_handoff']);
    expect(events[1]).toMatchObject({ workflow_id: WORKFLOW, session_id: 'b8489706-cbb6-4207-9b8f-88b6dde51657', from_agent: 'main', to_agent: 'backend-architect' });
    expect(invocations.get(SUBAGENT)).toMatchObject({
      invocation_id: SUBAGENT,
      agent_name: 'backend-architect',
      agent_type: 'development',
      task_description: 'Design login API: Design the login API endpoints and report back.',
      parent_invocation_id: null,
      workflow_id: WORKFLOW,
      duration_seconds: 0.301,
      outcome: { status: 'success', error_message: null },
      metadata: { source: 'claude-code', tool_use_id: 'toolu_1_1796171389267' },
    });
    // It ended after the main agent's turn did: the workflow waits for the turn its result comes back in.
    expect(events.some((e) => e.event === 'workflow_complete')).toBe(false);
    // An exporter's retry writes nothing.
    expect(t.accept(BACKGROUND_LOGS.map((k) => log(k)), BACKGROUND_SPANS.map(span), 1).records).toEqual([]);
    const closed = t.sweep(Number.POSITIVE_INFINITY);
    expect(closed.map((r) => r.record)).toEqual([expect.objectContaining({ event: 'workflow_complete', workflow_id: WORKFLOW, success: true, agents_executed: ['backend-architect'] })]);
    expect(t.heldSessions).toBe(0);
  });

  it('the task notification (prompt not logged) continues the workflow, and its turn completes it', () => {
    const t = translator();
    t.accept(BACKGROUND_LOGS.map((k) => log(k)), BACKGROUND_SPANS.map(span), 0);
    const notification = log('user_prompt', { 'prompt.id': 'b452aefc-de92-479c-8e52-1a7e98c29ef9', 'event.sequence': 70, 'event.timestamp': '2026-12-02T00:29:49.700Z' });
    const turn = { ...span('claude_code.interaction'), traceId: 'feedfeedfeedfeedfeedfeedfeedfeed', spanId: '1111111111111111', startUnixNano: 1796171389690000000n, endUnixNano: 1796171389800000000n };
    const { records } = t.accept([{ ...notification, traceId: turn.traceId, spanId: turn.spanId }], [turn], 1);
    expect(records.map((r) => r.record.event)).toEqual(['workflow_complete']);
    expect(records[0]!.record).toMatchObject({ workflow_id: WORKFLOW, success: true, agents_executed: ['backend-architect'] });
  });

  it('the same with the prompt logged (OTEL_LOG_USER_PROMPTS=1): the notification names its subagent', () => {
    const t = translator();
    const text = `<task-notification>\n<task-id>${SUBAGENT}</task-id>\n<status>completed</status>\n</task-notification>`;
    // Even arriving before the subagent's end, it is read as the notification it says it is.
    const notification = log('user_prompt', { 'prompt.id': 'b452aefc-de92-479c-8e52-1a7e98c29ef9', 'event.sequence': 5, prompt: text });
    const { records } = t.accept([notification, ...BACKGROUND_LOGS.map((k) => log(k))], [], 0);
    expect(records.filter((r) => r.record.event === 'workflow_start')).toHaveLength(1);
  });

  it('a foreground subagent whose API call fails: a failed invocation with the Agent tool error, the workflow failed', () => {
    const t = translator();
    const session = 'ded97d3c-a0f8-4c8e-9f4f-e81e6d1cbd5e';
    // otel-run6 kept no user_prompt example: the run10 one, moved to that session and prompt.
    const prompt = log('user_prompt', { 'session.id': session, 'prompt.id': 'df2da86e-0c35-4f79-b50e-bfdac071b59d', 'event.sequence': 40, 'event.timestamp': '2026-12-02T00:29:04.900Z' });
    const { records } = t.accept([{ ...prompt, traceId: 'd21c34434799195b552e4a30b8336c20' }, log('api_error [subagent]'), log('tool_result Agent fail')], [span('claude_code.tool.execution [error]')], 0);
    const { invocations, events } = lastRecords([...records, ...t.sweep(Number.POSITIVE_INFINITY)]);
    expect(invocations.get('a7995a281985c215b')).toMatchObject({
      agent_name: 'backend-architect',
      workflow_id: 'wf-df2da86e-0c35-4f79-b50e-bfdac071b59d',
      outcome: {
        status: 'failure',
        error_message:
          'Agent terminated early due to an API error: API Error: 400 fake subagent failure (error type unknown, HTTP 400, request id req_fake_err, model sent to the API: claude-opus-5-5)',
      },
    });
    expect(events.find((e) => e.event === 'agent_handoff')).toMatchObject({ from_agent: 'main', to_agent: 'backend-architect' });
    expect(events.find((e) => e.event === 'workflow_complete')).toMatchObject({ success: false, agents_executed: ['backend-architect'] });
  });

  it('logs that are not Claude Code events, and Claude Code events of no interest, write nothing', () => {
    const t = translator();
    const foreign: OtlpLogRecord = { ...log('user_prompt'), body: 'hello', attributes: new Map([['event.name', 'x']]), resource: new Map() };
    expect(t.accept([foreign, log('hook_registered'), log('plugin_loaded'), log('api_request')], [span('claude_code.llm_request')], 0).records).toEqual([]);
  });

  it('any order and any split of the events into requests ends in the same last records', () => {
    const items = [...BACKGROUND_LOGS.map((k) => ({ log: log(k) })), ...BACKGROUND_SPANS.map((k) => ({ span: span(k) }))];
    const run = (order: typeof items, cuts: number[]) => {
      const t = translator();
      const out: { kind: string; record: Readonly<Record<string, unknown>> }[] = [];
      let from = 0;
      for (const cut of [...cuts.sort((a, b) => a - b), order.length]) {
        const part = order.slice(from, cut);
        from = Math.max(from, cut);
        out.push(...t.accept(part.flatMap((i) => ('log' in i ? [i.log] : [])), part.flatMap((i) => ('span' in i ? [i.span] : [])), 0).records);
      }
      out.push(...t.sweep(Number.POSITIVE_INFINITY));
      const { invocations, events } = lastRecords(out);
      const complete = events.filter((e) => e.event === 'workflow_complete').at(-1);
      return { invocations: [...invocations.values()].map(({ timestamp: _t, ...r }) => r), starts: events.filter((e) => e.event === 'workflow_start').length, handoffs: events.filter((e) => e.event === 'agent_handoff').map((e) => [e.from_agent, e.to_agent]), complete: { ...complete, timestamp: undefined, duration_seconds: undefined } };
    };
    const expected = run(items, []);
    fc.assert(
      fc.property(fc.shuffledSubarray(items, { minLength: items.length }), fc.array(fc.nat(items.length), { maxLength: 4 }), (order, cuts) => {
        expect(run(order, cuts)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
