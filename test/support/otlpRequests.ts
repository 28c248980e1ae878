/**
 * ExportTraceServiceRequest bodies as an exporter sends them, encoded by protobufjs from the
 * opentelemetry-proto files the package ships (proto/): for tests and the bench that need many
 * spans, or exact control over ids, without running an SDK.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../src/config.js';

/** One span: ids are small numbers made into 16- and 8-byte ids; no `agent`: a tool span. */
export interface SpanSpec {
  readonly trace: number;
  readonly span: number;
  readonly parent?: number;
  /** gen_ai.agent.name of an invoke_agent span. */
  readonly agent?: string;
  /** Seconds after a fixed start (default 0 and 1). */
  readonly start?: number;
  readonly end?: number;
}

/** 2026-12-02T00:23:20Z in nanoseconds, as a decimal string (64-bit). */
const T0_NS = 1_796_171_000n * 1_000_000_000n;

let requestType: protobuf.Type | undefined;
function type(): protobuf.Type {
  if (requestType !== undefined) return requestType;
  const root = new protobuf.Root();
  // packageRoot, not a relative path: this runs from test/support (vitest) and dist/test/support (the bench).
  root.resolvePath = (_origin, target) => path.join(packageRoot(), 'proto', target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  return (requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'));
}

export function traceId(n: number): Buffer {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(0x0a0b0c0d, 0);
  id.writeUInt32BE(n >>> 0, 12);
  return id;
}

export function spanId(n: number): Buffer {
  const id = Buffer.alloc(8);
  id.writeUInt32BE(0x01020304, 0);
  id.writeUInt32BE(n >>> 0, 4);
  return id;
}

const ns = (seconds: number) => String(T0_NS + BigInt(Math.round(seconds * 1e6)) * 1000n);

/** The protobuf body of one request holding these spans (one resource, one scope). */
export function otlpTraceRequest(spans: readonly SpanSpec[], serviceName = 'otlp-test'): Uint8Array {
  const t = type();
  const encoded = spans.map((s) => ({
    traceId: traceId(s.trace),
    spanId: spanId(s.span),
    ...(s.parent === undefined ? {} : { parentSpanId: spanId(s.parent) }),
    name: s.agent === undefined ? 'execute_tool lookup' : `invoke_agent ${s.agent}`,
    kind: 1,
    startTimeUnixNano: ns(s.start ?? 0),
    endTimeUnixNano: ns(s.end ?? 1),
    attributes:
      s.agent === undefined
        ? [{ key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } }]
        : [
            { key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } },
            { key: 'gen_ai.agent.name', value: { stringValue: s.agent } },
          ],
  }));
  const request = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] }, scopeSpans: [{ scope: { name: 'otlp-test' }, spans: encoded }] }] };
  return t.encode(t.fromObject(request)).finish();
}

/**
 * `traces` traces of `perTrace` spans each, children first as exporters send them: per trace a
 * specialist agent span, `perTrace - 2` tool spans under it, and the coordinator root last.
 * Gives per trace 2 invocations, 1 hand-off, a workflow start and complete.
 */
export function manyAgentTraces(traces: number, perTrace: number, firstTrace = 1): SpanSpec[] {
  const spans: SpanSpec[] = [];
  for (let t = firstTrace; t < firstTrace + traces; t++) {
    const root = 1;
    const specialist = 2;
    for (let k = 0; k < perTrace - 2; k++) spans.push({ trace: t, span: 3 + k, parent: specialist, start: 1 + k * 0.001, end: 1.5 + k * 0.001 });
    spans.push({ trace: t, span: specialist, parent: root, agent: 'specialist', start: 1, end: 8 });
    spans.push({ trace: t, span: root, agent: 'coordinator', start: 0, end: 10 });
  }
  return spans;
}
