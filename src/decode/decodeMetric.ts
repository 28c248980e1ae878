import type { MetricEvent } from '../domain/events.js';
import { checkTimestampLength } from './limits.js';
import { FieldError } from './rejection.js';
import { type JsonObject, optionalString, requiredBoolean, requiredId, requiredNumber } from './fields.js';

export function decodeMetric(record: JsonObject): MetricEvent {
  const invocationId = requiredId(record, 'invocation_id');
  const success = requiredBoolean(record, 'success');
  const qualityRating = requiredNumber(record, 'quality_rating');
  if (qualityRating < 1 || qualityRating > 5) throw new FieldError(`quality_rating must be between 1 and 5, got ${qualityRating}`);
  // No fold reads a metric's time, so only its length is held to the limit (it travels in the event).
  const timestamp = checkTimestampLength('timestamp', optionalString(record, 'timestamp') ?? '');
  return { kind: 'metric', invocationId, timestamp, success, qualityRating };
}
