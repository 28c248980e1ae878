/**
 * `oak-telemetry receive --otlp` as a real process, fed by the real OpenTelemetry JS SDK and its
 * OTLP exporters (http/protobuf with gzip, and http/json): a coordinator hands work to two
 * specialists, one of which fails. The CLI's answers on the dir equal what a person works out
 * from the scenario; an exporter's retry changes nothing; bad requests get a clear 4xx or a
 * partial success and the receiver keeps serving.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, DaemonProcess, ROOT, readJsonLines, startOtlpReceiver } from '../support/daemonHarness.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const run = promisify(execFile);
const dirs = tempDirsPerTest();
const TOKEN = 'otlp-test-token';
const running: DaemonProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill9();
});

async function startReceiver(dir: string): Promise<{ receiver: DaemonProcess; url: string }> {
  const started = await startOtlpReceiver(dir, ['--otlp-token', TOKEN]);
  running.push(started.receiver);
  return started;
}

async function cliJson(dir: string, command: string): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, command, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

/** Seconds after T0 as the SDK's [seconds, nanoseconds] time. */
const T0 = 1_796_171_000;
const at = (seconds: number): [number, number] => [T0 + Math.floor(seconds), Math.round((seconds % 1) * 1e9)];

/**
 * One run of the scenario in its own trace: coordinator (0-10 s) calls a tool (1-4 s) inside
 * which the researcher runs (1.5-3.5 s, success); then the writer runs directly under the
 * coordinator (5-9 s) and fails, by span status in one run and by an exception event plus
 * error.type in the other; an LLM call (chat) under the coordinator is not an agent.
 */
function runScenario(provider: BasicTracerProvider, conversation: string, failure: 'status' | 'exception', explicitHandoff: boolean): void {
  const tracer = provider.getTracer('scenario');
  const under = (parent: Span) => trace.setSpan(context.active(), parent);
  const agent = (name: string, start: number, parent?: Span) =>
    tracer.startSpan(`invoke_agent ${name}`, { startTime: at(start), attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, 'gen_ai.conversation.id': conversation } }, parent === undefined ? context.active() : under(parent));
  const coordinator = agent('coordinator', 0);
  const chat = tracer.startSpan('chat model', { startTime: at(0.2), attributes: { 'gen_ai.operation.name': 'chat' } }, under(coordinator));
  chat.end(at(0.9));
  const tool = tracer.startSpan('execute_tool delegate', { startTime: at(1), attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'delegate' } }, under(coordinator));
  const researcher = agent('researcher', 1.5, tool);
  researcher.end(at(3.5));
  tool.end(at(4));
  if (explicitHandoff) {
    const handoff = tracer.startSpan('handoff', { startTime: at(4.5), attributes: { 'gen_ai.handoff.from_agent': 'coordinator', 'gen_ai.handoff.to_agent': 'writer' } }, under(coordinator));
    handoff.end(at(4.6));
  }
  const writer = agent('writer', 5, coordinator);
  if (failure === 'status') writer.setStatus({ code: SpanStatusCode.ERROR, message: 'model failed' });
  else {
    writer.recordException({ name: 'RateLimitError', message: 'rate limited' }, at(8.9));
    writer.setAttribute('error.type', 'RateLimitError');
  }
  writer.end(at(9));
  coordinator.end(at(10));
}

function providerFor(exporter: SpanExporter, memory: InMemorySpanExporter): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'scenario-service' }),
    // Batched, as agents export: one request per flush, spans in the order they ended.
    spanProcessors: [new BatchSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
  });
}

function exportAgain(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => exporter.export(spans, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed')))));
}

describe('receive --otlp with the real OpenTelemetry SDK and exporters', () => {
  it('a coordinator handing work to two specialists gives the invocations, hand-offs and workflows a person works out', async () => {
    const dir = dirs.make('oak-otlp-');
    const { receiver, url } = await startReceiver(dir);
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const proto = new ProtoExporter({ url: `${url}/v1/traces`, headers, compression: CompressionAlgorithm.GZIP });
    const json = new JsonExporter({ url: `${url}/v1/traces`, headers });
    const protoMemory = new InMemorySpanExporter();
    const protoProvider = providerFor(proto, protoMemory);
    const jsonProvider = providerFor(json, new InMemorySpanExporter());

    // when the scenario runs once through each exporter (the JSON run also names the hand-off to the writer explicitly)
    runScenario(protoProvider, 'conv-proto', 'status', false);
    runScenario(jsonProvider, 'conv-json', 'exception', true);
    await Promise.all([protoProvider.forceFlush(), jsonProvider.forceFlush()]);
    // and the protobuf exporter retries the whole batch
    await exportAgain(proto, protoMemory.getFinishedSpans());

    // then each agent span is one invocation, written once
    const invocations = readJsonLines(path.join(dir, 'agent_invocations.jsonl'));
    expect(invocations.map((r) => r.agent_name).sort()).toEqual(['coordinator', 'coordinator', 'researcher', 'researcher', 'writer', 'writer']);
    expect(new Set(invocations.map((r) => r.invocation_id)).size).toBe(6);
    const events = readJsonLines(path.join(dir, 'workflow_events.jsonl'));
    expect(events.map((e) => e.event).sort()).toEqual([
      'agent_handoff', 'agent_handoff', 'agent_handoff', 'agent_handoff', 'workflow_complete', 'workflow_complete', 'workflow_start', 'workflow_start',
    ]);

    // and the answers are the hand-computed ones: 3 agents, 2 runs each; the writer failed both times
    const stats = (await cliJson(dir, 'stats')) as { agents: Record<string, { common_failures: string[] }> };
    const writerFailures = stats.agents.writer?.common_failures.slice().sort();
    const agent = (count: number, rate: number, seconds: number, failures: string[]) => ({
      invocation_count: count, success_rate: rate, average_quality: 0, average_duration_seconds: seconds,
      common_task_types: [], common_failures: failures, recommended_for: [],
    });
    expect(writerFailures).toEqual(['model failed', 'rate limited']);
    expect(stats).toEqual({
      total_invocations: 6,
      // first and last invocation start: the coordinators at T0, the writers at T0 + 5 s
      date_range: { start: '2026-12-02T00:23:20.000000Z', end: '2026-12-02T00:23:25.000000Z' },
      agents: {
        coordinator: agent(2, 1, 10, []),
        researcher: agent(2, 1, 2, []),
        writer: agent(2, 0, 4, stats.agents.writer?.common_failures ?? []),
      },
    });
    // two workflows of 10 s, both completed and successful (the coordinator, their root, succeeded)
    expect(await cliJson(dir, 'workflows')).toEqual({
      total_workflows: 2,
      avg_duration_minutes: 0.17,
      success_rate: 1,
      avg_agents_per_workflow: 3,
      most_common_patterns: [{ pattern: 'coordinator→researcher→writer', count: 2 }],
    });
    // coordinator -> researcher (through the tool call) and coordinator -> writer, once per run each
    const handoffs = (await cliJson(dir, 'handoffs')) as { handoffs: number; pairs: { items: unknown[] } };
    expect(handoffs.handoffs).toBe(4);
    expect(handoffs.pairs.items).toEqual([
      { from_agent: 'coordinator', to_agent: 'researcher', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 1 },
      { from_agent: 'coordinator', to_agent: 'writer', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 1 },
    ]);
    expect(receiver.hasExited).toBe(false);
  });

  it('bad requests get a clear 4xx or a partial success, and the receiver keeps serving', async () => {
    const dir = dirs.make('oak-otlp-bad-');
    const { receiver, url } = await startReceiver(dir);
    const post = (body: Uint8Array | string, type: string, extra: Record<string, string> = {}) =>
      // A copy in a plain ArrayBuffer: fetch's body type does not take a view of a shared buffer.
      fetch(`${url}/v1/traces`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': type, authorization: `Bearer ${TOKEN}`, ...extra } });
    const valid = validProtobufRequest();

    // a truncated protobuf body
    const truncated = await post(valid.subarray(0, valid.length - 7), 'application/x-protobuf');
    expect(truncated.status).toBe(400);
    // a wrong content type
    const wrongType = await post('{}', 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(await wrongType.text()).toMatch(/application\/x-protobuf/);
    // no token
    expect((await fetch(`${url}/v1/traces`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // a body over 16 MiB, plain and (small on the wire) gzipped
    expect((await post(new Uint8Array(17 * 1024 * 1024), 'application/x-protobuf')).status).toBe(413);
    expect((await post(zlib.gzipSync(Buffer.alloc(17 * 1024 * 1024)), 'application/x-protobuf', { 'content-encoding': 'gzip' })).status).toBe(413);
    // JSON that is not OTLP
    expect((await post('{"resourceSpans": 5}', 'application/json')).status).toBe(400);
    // spans without ids, or ending before they start, beside a good one: a partial success
    const partial = await post(JSON.stringify(jsonRequest()), 'application/json');
    expect(partial.status).toBe(200);
    const answer = (await partial.json()) as { partialSuccess?: { rejectedSpans?: string; errorMessage?: string } };
    expect(answer.partialSuccess?.rejectedSpans).toBe('3');
    expect(answer.partialSuccess?.errorMessage).toMatch(/trace id/);

    // and the receiver still takes a valid request, and wrote the good span's invocation
    const ok = await post(valid, 'application/x-protobuf');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-protobuf');
    expect(receiver.hasExited).toBe(false);
    expect(readJsonLines(path.join(dir, 'agent_invocations.jsonl')).map((r) => r.agent_name)).toEqual(['good', 'proto-agent']);
    expect(receiver.logsWith('otlp request refused').length).toBe(6);
  });
});

const HEX_TRACE = '5b8efff798038103d269b633813fc60c';

function jsonRequest(): unknown {
  const agent = (spanId: string, traceId: string, start: string, end: string, name: string) => ({
    traceId, spanId, name: `invoke_agent ${name}`, startTimeUnixNano: start, endTimeUnixNano: end,
    attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } }, { key: 'gen_ai.agent.name', value: { stringValue: name } }],
  });
  return {
    resourceSpans: [{ scopeSpans: [{ spans: [
      agent('eee4b3ff0b3c1a01', HEX_TRACE, '1796171000000000000', '1796171001000000000', 'good'),
      agent('eee4b3ff0b3c1a02', '', '1796171000000000000', '1796171001000000000', 'no-trace-id'),
      agent('', HEX_TRACE, '1796171000000000000', '1796171001000000000', 'no-span-id'),
      agent('eee4b3ff0b3c1a03', HEX_TRACE, '1796171002000000000', '1796171001000000000', 'ends-before-start'),
    ] }] }],
  };
}

/** An ExportTraceServiceRequest encoded by protobufjs from the shipped .proto files. */
function validProtobufRequest(): Uint8Array {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(ROOT, 'proto', target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  const type = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const span = {
    traceId: Buffer.from('7b8efff798038103d269b633813fc60c', 'hex'), spanId: Buffer.from('aaa4b3ff0b3c1a01', 'hex'), name: 'invoke_agent proto-agent',
    startTimeUnixNano: '1796171000000000000', endTimeUnixNano: '1796171002000000000',
    attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } }, { key: 'gen_ai.agent.name', value: { stringValue: 'proto-agent' } }],
  };
  return type.encode(type.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] })).finish();
}
