import type { AttributeMap, AttributeValue, Decoded, OtlpLogRecord, OtlpSpan, OtlpSpanEvent } from './otlpModel.js';

/**
 * The OTLP JSON mapping (opentelemetry-proto's "JSON Protobuf Encoding"): lowerCamelCase keys
 * (the proto field names are accepted too, as protobuf JSON parsers do), trace and span ids as
 * hex, 64-bit integers as decimal strings or numbers, enums as numbers. A body that is not this
 * shape is rejected whole; a span inside it with a bad id is only skipped (see translateSpans).
 */

type Json = { readonly [key: string]: unknown };

export class MalformedRequest extends Error {
  override readonly name = 'MalformedRequest';
}

export function decodeTracesJson(text: string): Decoded<OtlpSpan> {
  return guarded(() => {
    const spans: OtlpSpan[] = [];
    for (const rs of list(parse(text), 'resourceSpans', 'resource_spans')) {
      const resource = attributesOf(object(field(rs, 'resource'), 'resource'));
      for (const ss of list(rs, 'scopeSpans', 'scope_spans')) {
        for (const span of list(ss, 'spans')) spans.push(spanOf(span, resource));
      }
    }
    return spans;
  });
}

export function decodeLogsJson(text: string): Decoded<OtlpLogRecord> {
  return guarded(() => {
    const records: OtlpLogRecord[] = [];
    for (const rl of list(parse(text), 'resourceLogs', 'resource_logs')) {
      const resource = attributesOf(object(field(rl, 'resource'), 'resource'));
      for (const sl of list(rl, 'scopeLogs', 'scope_logs')) {
        for (const log of list(sl, 'logRecords', 'log_records')) {
          records.push({
            timeUnixNano: nanos(field(log, 'timeUnixNano', 'time_unix_nano')),
            observedTimeUnixNano: nanos(field(log, 'observedTimeUnixNano', 'observed_time_unix_nano')),
            traceId: hexId(field(log, 'traceId', 'trace_id')),
            spanId: hexId(field(log, 'spanId', 'span_id')),
            body: anyValue(field(log, 'body')),
            attributes: attributesOf(log),
            resource,
          });
        }
      }
    }
    return records;
  });
}

/** Metrics are accepted and ignored: only a check that the body is a JSON object. */
export function checkJsonObject(text: string): Decoded<never> {
  return guarded(() => {
    parse(text);
    return [];
  });
}

function guarded<T>(decode: () => T[]): Decoded<T> {
  try {
    return { ok: true, items: decode() };
  } catch (err) {
    if (err instanceof MalformedRequest) return { ok: false, reason: err.message };
    throw err;
  }
}

function parse(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedRequest(`body is not JSON: ${(err as Error).message}`);
  }
  return object(value, 'the body');
}

function spanOf(s: Json, resource: AttributeMap): OtlpSpan {
  const status = object(field(s, 'status'), 'status');
  return {
    traceId: hexId(field(s, 'traceId', 'trace_id')),
    spanId: hexId(field(s, 'spanId', 'span_id')),
    parentSpanId: hexId(field(s, 'parentSpanId', 'parent_span_id')),
    name: text(field(s, 'name'), 'name'),
    startUnixNano: nanos(field(s, 'startTimeUnixNano', 'start_time_unix_nano')),
    endUnixNano: nanos(field(s, 'endTimeUnixNano', 'end_time_unix_nano')),
    attributes: attributesOf(s),
    statusCode: Number(integer(field(status, 'code'), 'status.code')),
    statusMessage: text(field(status, 'message'), 'status.message'),
    events: list(s, 'events').map(eventOf),
    resource,
  };
}

function eventOf(e: Json): OtlpSpanEvent {
  return { name: text(field(e, 'name'), 'event name'), timeUnixNano: nanos(field(e, 'timeUnixNano', 'time_unix_nano')), attributes: attributesOf(e) };
}

function attributesOf(holder: Json): AttributeMap {
  const map = new Map<string, AttributeValue>();
  for (const kv of list(holder, 'attributes')) {
    map.set(text(field(kv, 'key'), 'attribute key'), anyValue(field(kv, 'value')));
  }
  return map;
}

function anyValue(value: unknown): AttributeValue {
  if (value === undefined || value === null) return null;
  const v = object(value, 'an attribute value');
  if ('stringValue' in v || 'string_value' in v) return text(field(v, 'stringValue', 'string_value'), 'stringValue');
  if ('boolValue' in v || 'bool_value' in v) return field(v, 'boolValue', 'bool_value') === true;
  if ('intValue' in v || 'int_value' in v) return Number(integer(field(v, 'intValue', 'int_value'), 'intValue'));
  if ('doubleValue' in v || 'double_value' in v) return Number(field(v, 'doubleValue', 'double_value'));
  if ('arrayValue' in v || 'array_value' in v) return list(object(field(v, 'arrayValue', 'array_value'), 'arrayValue'), 'values').map(anyValue);
  if ('kvlistValue' in v || 'kvlist_value' in v) {
    const kv = object(field(v, 'kvlistValue', 'kvlist_value'), 'kvlistValue');
    return attributesOf({ attributes: field(kv, 'values') });
  }
  if ('bytesValue' in v || 'bytes_value' in v) return text(field(v, 'bytesValue', 'bytes_value'), 'bytesValue');
  return null;
}

function field(obj: Json, name: string, protoName?: string): unknown {
  const value = obj[name];
  return value === undefined && protoName !== undefined ? obj[protoName] : value;
}

function object(value: unknown, what: string): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new MalformedRequest(`${what} must be a JSON object`);
  return value as Json;
}

function list(obj: Json, name: string, protoName?: string): readonly Json[] {
  const value = field(obj, name, protoName);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedRequest(`${name} must be a list`);
  return value.map((item: unknown) => object(item, `an entry of ${name}`));
}

function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new MalformedRequest(`${what} must be a string`);
  return value;
}

/** int64/fixed64 in JSON: a decimal string or a number. */
function integer(value: unknown, what: string): bigint {
  if (value === undefined || value === null || value === '') return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw new MalformedRequest(`${what} must be an integer (a decimal string or number), got ${JSON.stringify(value)}`);
}

function nanos(value: unknown): bigint {
  return integer(value, 'a time in unix nanoseconds');
}

/** Ids are hex in OTLP/JSON; a malformed one becomes '' and the span is rejected, not the request. */
function hexId(value: unknown): string {
  if (typeof value !== 'string') return '';
  const hex = value.toLowerCase();
  return /^[0-9a-f]*$/.test(hex) ? hex : '';
}
