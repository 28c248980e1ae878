/**
 * Spans and log records as the translators read them, whichever encoding they came in
 * (protobuf or the OTLP JSON mapping): ids as lower-case hex ('' when absent), times as
 * epoch nanoseconds (bigint: a double cannot hold them exactly), attributes in a Map.
 */

export type AttributeValue = string | number | boolean | null | readonly AttributeValue[] | AttributeMap;
export type AttributeMap = ReadonlyMap<string, AttributeValue>;

/** OTLP Status.code: 0 unset, 1 ok, 2 error. */
export const STATUS_ERROR = 2;

export interface OtlpSpanEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: AttributeMap;
}

export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly startUnixNano: bigint;
  readonly endUnixNano: bigint;
  readonly attributes: AttributeMap;
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly events: readonly OtlpSpanEvent[];
  /** The attributes of the resource that sent it (service.name...). */
  readonly resource: AttributeMap;
}

export interface OtlpLogRecord {
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  readonly traceId: string;
  readonly spanId: string;
  readonly body: AttributeValue;
  readonly attributes: AttributeMap;
  readonly resource: AttributeMap;
}

/** A decoded export request, or why it could not be decoded (answered 400). */
export type Decoded<T> = { readonly ok: true; readonly items: readonly T[] } | { readonly ok: false; readonly reason: string };
