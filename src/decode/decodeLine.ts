import { isUtf8 } from 'node:buffer';
import type { TelemetryEvent } from '../domain/events.js';
import type { SourceKind } from '../domain/sources.js';
import { decodeInvocation } from './decodeInvocation.js';
import { decodeMetric } from './decodeMetric.js';
import { decodeWorkflowEvent, NO_WORKFLOW_ID } from './decodeWorkflowEvent.js';
import { isObject } from './fields.js';
import { FieldError } from './rejection.js';

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** What one line turned into. `skipped` lines are valid but carry nothing we fold. */
export type DecodeOutcome =
  | { readonly type: 'event'; readonly event: TelemetryEvent }
  | { readonly type: 'blank' }
  | { readonly type: 'skipped'; readonly reason: string }
  | { readonly type: 'rejected'; readonly reason: string };

const BLANK: DecodeOutcome = { type: 'blank' };
const SKIPPED_NO_WORKFLOW: DecodeOutcome = { type: 'skipped', reason: NO_WORKFLOW_ID };

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/** V8's JSON errors quote the line; escape control characters so a printed reason cannot drive the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Decodes a line already known to be valid UTF-8 text. */
export function decodeText(kind: SourceKind, text: string): DecodeOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (isBlank(text)) return BLANK;
    return { type: 'rejected', reason: `not JSON: ${printable((error as Error).message)}` };
  }
  if (!isObject(parsed)) return { type: 'rejected', reason: 'not a JSON object' };
  try {
    switch (kind) {
      case 'invocations':
        return { type: 'event', event: decodeInvocation(parsed) };
      case 'metrics':
        return { type: 'event', event: decodeMetric(parsed) };
      case 'workflow_events': {
        const event = decodeWorkflowEvent(parsed);
        return event === NO_WORKFLOW_ID ? SKIPPED_NO_WORKFLOW : { type: 'event', event };
      }
    }
  } catch (error) {
    if (error instanceof FieldError) return { type: 'rejected', reason: error.message };
    throw error;
  }
}

/**
 * Decodes the bytes of one line (without its newline).
 */
export function decodeBytes(
  kind: SourceKind,
  bytes: Buffer,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): DecodeOutcome {
  if (bytes.length > maxLineBytes) return { type: 'rejected', reason: `line longer than ${maxLineBytes} bytes` };
  if (!isUtf8(bytes)) return { type: 'rejected', reason: 'invalid UTF-8' };
  return decodeText(kind, bytes.toString('utf8'));
}
