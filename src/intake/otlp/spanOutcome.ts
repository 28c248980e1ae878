import * as attr from './genAiAttributes.js';
import { STATUS_ERROR, type OtlpSpan } from './otlpModel.js';
import type { InvocationOutcome } from './otlpRecords.js';

const FAILED_STATUSES: ReadonlySet<string> = new Set(['error', 'failed', 'failure', 'cancelled', 'canceled', 'timeout', 'interrupted']);

/**
 * How an agent span ended: a failure when the span's status is ERROR, when it carries
 * error.type or an exception event, or when the framework's own status attribute says so
 * (Strands' gen_ai.agent.status); "partial" only when that attribute says partial.
 */
export function spanOutcome(span: OtlpSpan): InvocationOutcome {
  const exception = span.events.find((e) => e.name === 'exception');
  const exceptionText = exception === undefined ? null : attr.textAttribute(exception.attributes, ['exception.message', 'exception.type']);
  const errorType = attr.textAttribute(span.attributes, attr.ERROR_TYPE);
  const frameworkStatus = attr.textAttribute(span.attributes, attr.AGENT_STATUS)?.toLowerCase() ?? null;
  const failed =
    span.statusCode === STATUS_ERROR || errorType !== null || exception !== undefined || (frameworkStatus !== null && FAILED_STATUSES.has(frameworkStatus));
  if (failed) {
    const message = nonEmpty(span.statusMessage) ?? exceptionText ?? errorType ?? frameworkStatus ?? 'error';
    return { status: 'failure', errorMessage: message };
  }
  if (frameworkStatus === 'partial') return { status: 'partial', errorMessage: null };
  return { status: 'success', errorMessage: null };
}

function nonEmpty(text: string): string | null {
  return text === '' ? null : text;
}
