import { parseTimestampUs } from '../domain/time.js';

/** A query parameter the API cannot use: answered with 400 and the parameter's name. */
export class BadParameter extends Error {
  override readonly name = 'BadParameter';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/** An ISO-8601 time parameter as epoch microseconds; `fallback` (the clock) when absent. */
export function timeParam(name: string, raw: string | undefined, fallback: () => number): number {
  if (raw === undefined) return fallback();
  const us = parseTimestampUs(raw);
  if (Number.isNaN(us)) throw new BadParameter(name, `${name} must be an ISO-8601 time`);
  return us;
}

const TEXT = { type: 'string', maxLength: 4096 } as const;
const ISO = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** JSON Schemas of each route's query string (unknown parameters are refused, not dropped). */
export const QUERY_SCHEMAS = {
  none: { type: 'object', additionalProperties: false, properties: { now: ISO } },
  agents: { type: 'object', additionalProperties: false, properties: { now: ISO, window: { type: 'integer', minimum: 1, maximum: 100000 } } },
  trends: { type: 'object', additionalProperties: false, properties: { now: ISO, days: { type: 'integer', minimum: 1, maximum: 100000 } } },
  ranking: { type: 'object', additionalProperties: false, properties: { now: ISO, task_type: TEXT } },
  bestAgent: {
    type: 'object',
    additionalProperties: false,
    required: ['task'],
    properties: {
      now: ISO,
      task: { ...TEXT, minLength: 1 },
      domain: TEXT,
      min_confidence: { type: 'number', minimum: 0, maximum: 1 },
      all: { type: 'string', enum: ['0', '1', 'true', 'false'] },
    },
  },
  workflowViews: {
    type: 'object',
    additionalProperties: false,
    properties: {
      now: ISO,
      project: TEXT,
      since: ISO,
      limit: { type: 'integer', minimum: 0, maximum: 1000000 },
      threshold: { type: 'number', minimum: 0, maximum: 100 },
    },
  },
  history: {
    type: 'object',
    additionalProperties: false,
    properties: { now: ISO, bucket: { type: 'string', enum: ['auto', 'hour', 'day'] }, project: TEXT, since: ISO, until: ISO },
  },
} as const;

export interface HistoryQuery {
  readonly now?: string;
  readonly bucket?: 'auto' | 'hour' | 'day';
  readonly project?: string;
  readonly since?: string;
  readonly until?: string;
}

export interface WorkflowViewQuery {
  readonly now?: string;
  readonly project?: string;
  readonly since?: string;
  readonly limit?: number;
  readonly threshold?: number;
}
