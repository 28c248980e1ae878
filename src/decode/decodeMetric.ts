import type { MetricEvent } from '../domain/events.js';
import { FieldError } from './rejection.js';
import { type JsonObject, optionalString, requiredBoolean, requiredId, requiredNumber } from './fields.js';

export function decodeMetric(record: JsonObject): MetricEvent {
  const invocationId = requiredId(record, 'invocation_id');
  const success = requiredBoolean(record, 'success');
  const qualityRating = requiredNumber(record, 'quality_rating');
  if (qualityRating < 1 || qualityRating > 5) throw new FieldError(`quality_rating must be between 1 and 5, got ${qualityRating}`);
  return { kind: 'metric', invocationId, timestamp: optionalString(record, 'timestamp') ?? '', success, qualityRating };
}
