import path from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../config.js';
import type { AttributeMap, AttributeValue, Decoded, OtlpLogRecord, OtlpSpan, OtlpSpanEvent } from './otlpModel.js';

/**
 * OTLP/HTTP protobuf bodies, decoded by protobufjs from the published opentelemetry-proto
 * definitions (proto/, copied from its v1.11.0 tag). Loaded on the first protobuf request, not at
 * start-up: parsing the .proto files takes ~40 ms.
 */

const TRACE_SERVICE = 'opentelemetry.proto.collector.trace.v1';
const LOGS_SERVICE = 'opentelemetry.proto.collector.logs.v1';

interface Types {
  readonly traceRequest: protobuf.Type;
  readonly traceResponse: protobuf.Type;
  readonly logsRequest: protobuf.Type;
  readonly logsResponse: protobuf.Type;
  /** google.rpc.Status, the body of an error answer (its `details` left out: we send none). */
  readonly status: protobuf.Type;
}

let types: Types | undefined;

function loaded(): Types {
  if (types !== undefined) return types;
  const dir = path.join(packageRoot(), 'proto');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(dir, target);
  root.loadSync([
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  ]);
  const status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
  root.define('google.rpc').add(status);
  root.resolveAll();
  types = {
    traceRequest: root.lookupType(`${TRACE_SERVICE}.ExportTraceServiceRequest`),
    traceResponse: root.lookupType(`${TRACE_SERVICE}.ExportTraceServiceResponse`),
    logsRequest: root.lookupType(`${LOGS_SERVICE}.ExportLogsServiceRequest`),
    logsResponse: root.lookupType(`${LOGS_SERVICE}.ExportLogsServiceResponse`),
    status,
  };
  return types;
}

/** A decoded message: protobufjs gives plain objects with camelCase fields. */
type Message = { readonly [key: string]: unknown };

export function decodeTracesProtobuf(body: Uint8Array): Decoded<OtlpSpan> {
  const request = decodeMessage(loaded().traceRequest, body);
  if (typeof request === 'string') return { ok: false, reason: request };
  const spans: OtlpSpan[] = [];
  for (const rs of messages(request.resourceSpans)) {
    const resource = attributesOf(message(rs.resource));
    for (const ss of messages(rs.scopeSpans)) {
      for (const s of messages(ss.spans)) {
        const status = message(s.status);
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: stringOf(s.name),
          startUnixNano: bigintOf(s.startTimeUnixNano),
          endUnixNano: bigintOf(s.endTimeUnixNano),
          attributes: attributesOf(s),
          statusCode: Number(status.code ?? 0),
          statusMessage: stringOf(status.message),
          events: messages(s.events).map(eventOf),
          resource,
        });
      }
    }
  }
  return { ok: true, items: spans };
}

export function decodeLogsProtobuf(body: Uint8Array): Decoded<OtlpLogRecord> {
  const request = decodeMessage(loaded().logsRequest, body);
  if (typeof request === 'string') return { ok: false, reason: request };
  const records: OtlpLogRecord[] = [];
  for (const rl of messages(request.resourceLogs)) {
    const resource = attributesOf(message(rl.resource));
    for (const sl of messages(rl.scopeLogs)) {
      for (const r of messages(sl.logRecords)) {
        records.push({
          timeUnixNano: bigintOf(r.timeUnixNano),
          observedTimeUnixNano: bigintOf(r.observedTimeUnixNano),
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          body: anyValue(r.body),
          attributes: attributesOf(r),
          resource,
        });
      }
    }
  }
  return { ok: true, items: records };
}

export function encodeTraceResponse(rejected: number, errorMessage: string): Uint8Array {
  const { traceResponse } = loaded();
  const body = rejected > 0 || errorMessage !== '' ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : {};
  return traceResponse.encode(traceResponse.fromObject(body)).finish();
}

export function encodeLogsResponse(rejected: number, errorMessage: string): Uint8Array {
  const { logsResponse } = loaded();
  const body = rejected > 0 || errorMessage !== '' ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage } } : {};
  return logsResponse.encode(logsResponse.fromObject(body)).finish();
}

/** An empty ExportMetricsServiceResponse: no fields set encodes to zero bytes. */
export const EMPTY_RESPONSE = new Uint8Array(0);

export function encodeStatus(code: number, messageText: string): Uint8Array {
  const { status } = loaded();
  return status.encode(status.fromObject({ code, message: messageText })).finish();
}

/** A truncated or garbled body makes protobufjs throw: that is a 400, with its reason. */
function decodeMessage(type: protobuf.Type, body: Uint8Array): Message | string {
  try {
    return type.decode(body) as unknown as Message;
  } catch (err) {
    return `body is not a valid ${type.name}: ${(err as Error).message}`;
  }
}

function messages(value: unknown): readonly Message[] {
  return Array.isArray(value) ? (value as Message[]) : [];
}

function message(value: unknown): Message {
  return typeof value === 'object' && value !== null ? (value as Message) : {};
}

function eventOf(e: Message): OtlpSpanEvent {
  return { name: stringOf(e.name), timeUnixNano: bigintOf(e.timeUnixNano), attributes: attributesOf(e) };
}

function attributesOf(holder: Message): AttributeMap {
  const map = new Map<string, AttributeValue>();
  for (const kv of messages(holder.attributes)) map.set(stringOf(kv.key), anyValue(kv.value));
  return map;
}

/** AnyValue's oneof: protobufjs names the field that is set in the virtual `value` property. */
function anyValue(value: unknown): AttributeValue {
  const v = message(value);
  switch (v.value) {
    case 'stringValue':
      return stringOf(v.stringValue);
    case 'boolValue':
      return v.boolValue === true;
    case 'intValue':
      return Number(bigintOf(v.intValue));
    case 'doubleValue':
      return Number(v.doubleValue);
    case 'arrayValue':
      return messages(message(v.arrayValue).values).map(anyValue);
    case 'kvlistValue':
      return attributesOf({ attributes: message(v.kvlistValue).values });
    case 'bytesValue':
      return hex(v.bytesValue);
    default:
      return null;
  }
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** 64-bit integers come as a Long (or a number when small); bigint keeps nanoseconds exact. */
function bigintOf(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'object' && value !== null) return BigInt(String(value));
  return 0n;
}

function hex(value: unknown): string {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') : '';
}
