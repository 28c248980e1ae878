import { describe, expect, it } from 'vitest';
import { decodeBytes, decodeText, DEFAULT_MAX_LINE_BYTES, type DecodeOutcome } from '../../src/decode/decodeLine.js';
import type { SourceKind } from '../../src/domain/sources.js';

/** Decodes a JSON value written as one line, through the byte path every reader uses. */
function decodeJson(kind: SourceKind, value: unknown): DecodeOutcome {
  return decodeBytes(kind, Buffer.from(JSON.stringify(value), 'utf8'));
}

const rejected = (reason: string): DecodeOutcome => ({ type: 'rejected', reason });

const INVOCATION = {
  timestamp: '2026-11-01T09:00:00.123456Z',
  session_id: 'sess-1',
  invocation_id: 'inv-1',
  agent_name: 'coder',
  agent_type: 'development',
  task_description: 'Build the REST API',
  state_features: { task: { type: 'api_development' } },
  workflow_id: 'wf-1',
  duration_seconds: 12.5,
  outcome: { status: 'failure', error_message: 'boom', files_modified: [] },
};

const INVOCATION_EVENT = {
  kind: 'invocation',
  invocationId: 'inv-1',
  timestamp: '2026-11-01T09:00:00.123456Z',
  timeUs: Date.UTC(2026, 10, 1, 9, 0, 0) * 1000 + 123456,
  sessionId: 'sess-1',
  workflowId: 'wf-1',
  agentName: 'coder',
  agentType: 'development',
  taskDescription: 'Build the REST API',
  taskType: 'api_development',
  status: 'failure',
  durationSeconds: 12.5,
  errorMessage: 'boom',
};

const METRIC = {
  timestamp: '2026-11-01T09:05:00Z',
  invocation_id: 'inv-1',
  success: true,
  quality_rating: 4,
  feedback_source: 'human',
};

const START = {
  timestamp: '2026-11-01T09:00:00Z',
  event: 'workflow_start',
  workflow_id: 'wf-1',
  session_id: 'sess-1',
  project_name: 'Shop',
  agent_plan: ['planner', 'coder'],
  estimated_duration: 600,
};

const COMPLETE = {
  timestamp: '2026-11-01T09:10:00Z',
  event: 'workflow_complete',
  workflow_id: 'wf-1',
  session_id: 'sess-1',
  duration_seconds: 600,
  success: true,
  agents_executed: ['planner', 'coder'],
};

const HANDOFF = {
  timestamp: '2026-11-01T09:05:00Z',
  event: 'agent_handoff',
  workflow_id: 'wf-1',
  session_id: 'sess-1',
  from_agent: 'planner',
  to_agent: 'coder',
  artifacts: ['plan.md'],
};

const WF_BASE = { workflowId: 'wf-1', sessionId: 'sess-1' };
const us = (iso: string) => Date.parse(iso) * 1000;

describe('decodeLine: good records', () => {
  it('decodes an invocation to the fields the projections read', () => {
    expect(decodeJson('invocations', INVOCATION)).toEqual({ type: 'event', event: INVOCATION_EVENT });
  });

  it('decodes a metric', () => {
    expect(decodeJson('metrics', METRIC)).toEqual({
      type: 'event',
      event: { kind: 'metric', invocationId: 'inv-1', timestamp: '2026-11-01T09:05:00Z', success: true, qualityRating: 4 },
    });
  });

  it('decodes the three workflow event kinds', () => {
    expect(decodeJson('workflow_events', START)).toEqual({
      type: 'event',
      event: {
        kind: 'workflow_start', ...WF_BASE, timestamp: START.timestamp, timeUs: us(START.timestamp),
        projectName: 'Shop', agentPlan: ['planner', 'coder'], estimatedDuration: 600,
      },
    });
    expect(decodeJson('workflow_events', HANDOFF)).toEqual({
      type: 'event',
      event: {
        kind: 'agent_handoff', ...WF_BASE, timestamp: HANDOFF.timestamp, timeUs: us(HANDOFF.timestamp),
        fromAgent: 'planner', toAgent: 'coder', artifacts: ['plan.md'],
      },
    });
    expect(decodeJson('workflow_events', COMPLETE)).toEqual({
      type: 'event',
      event: {
        kind: 'workflow_complete', ...WF_BASE, timestamp: COMPLETE.timestamp, timeUs: us(COMPLETE.timestamp),
        durationSeconds: 600, success: true, agentsExecuted: ['planner', 'coder'],
      },
    });
  });

  it('ignores unknown extra keys', () => {
    const extra = { surprise: { deep: [1, 2] }, __proto__x: 1, constructor: 'x', toString: 5 };
    expect(decodeJson('invocations', { ...INVOCATION, ...extra })).toEqual(decodeJson('invocations', INVOCATION));
    expect(decodeJson('metrics', { ...METRIC, ...extra })).toEqual(decodeJson('metrics', METRIC));
    expect(decodeJson('workflow_events', { ...COMPLETE, ...extra })).toEqual(decodeJson('workflow_events', COMPLETE));
    // A literal "__proto__" key in the JSON text is data, not a prototype.
    const text = JSON.stringify(METRIC).replace(/^\{/, '{"__proto__": {"success": false},');
    expect(decodeText('metrics', text)).toEqual(decodeJson('metrics', METRIC));
  });

  it('gives a record without outcome (or without outcome.status) the status unknown', () => {
    const { outcome: _outcome, ...bare } = INVOCATION;
    expect(decodeJson('invocations', bare)).toEqual({
      type: 'event',
      event: { ...INVOCATION_EVENT, status: 'unknown', errorMessage: null },
    });
    expect(decodeJson('invocations', { ...INVOCATION, outcome: null })).toEqual({
      type: 'event',
      event: { ...INVOCATION_EVENT, status: 'unknown', errorMessage: null },
    });
    expect(decodeJson('invocations', { ...INVOCATION, outcome: { error_message: 'x' } })).toEqual({
      type: 'event',
      event: { ...INVOCATION_EVENT, status: 'unknown', errorMessage: 'x' },
    });
  });

  it('takes the task type from state_features.task.type only', () => {
    const { state_features: _sf, ...noFeatures } = INVOCATION;
    const decoded = decodeJson('invocations', { ...noFeatures, task_type: 'top-level' });
    expect(decoded).toEqual({ type: 'event', event: { ...INVOCATION_EVENT, taskType: null } });
  });

  it('turns an unknown event kind into unknown_workflow_event', () => {
    const paused = { timestamp: '2026-11-01T09:03:00Z', event: 'workflow_paused', workflow_id: 'wf-1', session_id: 'sess-1' };
    expect(decodeJson('workflow_events', paused)).toEqual({
      type: 'event',
      event: { kind: 'unknown_workflow_event', ...WF_BASE, timestamp: paused.timestamp, timeUs: us(paused.timestamp), event: 'workflow_paused' },
    });
  });

  it('skips a workflow event without workflow_id (missing, null or empty) as no_workflow_id', () => {
    const { workflow_id: _id, ...noId } = HANDOFF;
    const skipped = { type: 'skipped', reason: 'no_workflow_id' };
    expect(decodeJson('workflow_events', noId)).toEqual(skipped);
    expect(decodeJson('workflow_events', { ...HANDOFF, workflow_id: null })).toEqual(skipped);
    expect(decodeJson('workflow_events', { ...COMPLETE, workflow_id: '' })).toEqual(skipped);
  });

  it('accepts quality ratings 1 and 5 and a fractional one in between', () => {
    for (const q of [1, 5, 2.5]) {
      const out = decodeJson('metrics', { ...METRIC, quality_rating: q });
      expect(out.type === 'event' && out.event.kind === 'metric' && out.event.qualityRating).toBe(q);
    }
  });

  it('keeps an unparsable timestamp as NaN time instead of rejecting the line', () => {
    const out = decodeJson('invocations', { ...INVOCATION, timestamp: 'yesterday' });
    expect(out).toEqual({ type: 'event', event: { ...INVOCATION_EVENT, timestamp: 'yesterday', timeUs: NaN } });
  });
});

describe('decodeLine: blank lines', () => {
  it.each(['', ' ', '\t', '   \t  ', '\r'])('%j is blank', (text) => {
    for (const kind of ['invocations', 'metrics', 'workflow_events'] as const) {
      expect(decodeBytes(kind, Buffer.from(text))).toEqual({ type: 'blank' });
      expect(decodeText(kind, text)).toEqual({ type: 'blank' });
    }
  });

  it('decodes a record that ends with a CR (CRLF files)', () => {
    expect(decodeBytes('metrics', Buffer.from(JSON.stringify(METRIC) + '\r'))).toEqual(decodeJson('metrics', METRIC));
  });
});

describe('decodeLine: rejections', () => {
  it.each([
    ['truncated object', '{"invocation_id": "inv-1", "success": tr'],
    ['bare word', 'hello'],
    ['trailing comma', '{"a": 1,}'],
    ['two objects on one line', '{"a": 1}{"b": 2}'],
    ['single quotes', "{'invocation_id': 'x'}"],
  ])('not JSON (%s)', (_name, text) => {
    for (const kind of ['invocations', 'metrics', 'workflow_events'] as const) {
      const out = decodeBytes(kind, Buffer.from(text));
      expect(out.type).toBe('rejected');
      expect(out.type === 'rejected' && out.reason).toMatch(/^not JSON: \S/);
    }
  });

  it.each([
    ['an array', '[1, 2, 3]'],
    ['an empty array', '[]'],
    ['a number', '42'],
    ['a string', '"{\\"invocation_id\\": \\"x\\"}"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('JSON that is %s is not an object', (_name, text) => {
    for (const kind of ['invocations', 'metrics', 'workflow_events'] as const) {
      expect(decodeBytes(kind, Buffer.from(text))).toEqual(rejected('not a JSON object'));
    }
  });

  it('rejects a missing or empty id', () => {
    const { invocation_id: _i, ...noInvocationId } = INVOCATION;
    expect(decodeJson('invocations', noInvocationId)).toEqual(rejected('missing invocation_id'));
    expect(decodeJson('invocations', { ...INVOCATION, invocation_id: null })).toEqual(rejected('missing invocation_id'));
    expect(decodeJson('invocations', { ...INVOCATION, invocation_id: '' })).toEqual(rejected('missing invocation_id (empty string)'));
    const { invocation_id: _m, ...metricNoId } = METRIC;
    expect(decodeJson('metrics', metricNoId)).toEqual(rejected('missing invocation_id'));
    expect(decodeJson('metrics', { ...METRIC, invocation_id: '' })).toEqual(rejected('missing invocation_id (empty string)'));
    expect(decodeJson('invocations', { ...INVOCATION, invocation_id: 7 })).toEqual(rejected('invocation_id must be a string, got a number'));
  });

  it('rejects other missing required fields', () => {
    const { agent_name: _a, ...noAgent } = INVOCATION;
    expect(decodeJson('invocations', noAgent)).toEqual(rejected('missing agent_name'));
    const { timestamp: _t, ...noTimestamp } = INVOCATION;
    expect(decodeJson('invocations', noTimestamp)).toEqual(rejected('missing timestamp'));
    const { success: _s, ...noSuccess } = METRIC;
    expect(decodeJson('metrics', noSuccess)).toEqual(rejected('missing success'));
    const { quality_rating: _q, ...noQuality } = METRIC;
    expect(decodeJson('metrics', noQuality)).toEqual(rejected('missing quality_rating'));
    const { event: _e, ...noEvent } = START;
    expect(decodeJson('workflow_events', noEvent)).toEqual(rejected('missing event'));
    const { duration_seconds: _d, ...noDuration } = COMPLETE;
    expect(decodeJson('workflow_events', noDuration)).toEqual(rejected('missing duration_seconds'));
  });

  it('rejects wrong types with the field and the type found', () => {
    expect(decodeJson('invocations', { ...INVOCATION, duration_seconds: '12.5' })).toEqual(
      rejected('duration_seconds must be a number, got a string'),
    );
    expect(decodeJson('invocations', { ...INVOCATION, agent_name: 42 })).toEqual(rejected('agent_name must be a string, got a number'));
    expect(decodeJson('invocations', { ...INVOCATION, outcome: 'success' })).toEqual(rejected('outcome must be an object, got a string'));
    expect(decodeJson('invocations', { ...INVOCATION, outcome: { status: 'done' } })).toEqual(
      rejected('outcome.status must be success, failure, partial or unknown, got "done"'),
    );
    expect(decodeJson('invocations', { ...INVOCATION, state_features: [] })).toEqual(rejected('state_features must be an object, got an array'));
    expect(decodeJson('metrics', { ...METRIC, success: 'true' })).toEqual(rejected('success must be a boolean, got a string'));
    expect(decodeJson('metrics', { ...METRIC, success: 1 })).toEqual(rejected('success must be a boolean, got a number'));
    expect(decodeJson('metrics', { ...METRIC, quality_rating: '4' })).toEqual(rejected('quality_rating must be a number, got a string'));
    expect(decodeJson('workflow_events', { ...START, agent_plan: 'planner,coder' })).toEqual(rejected('agent_plan must be a list, got a string'));
    expect(decodeJson('workflow_events', { ...START, agent_plan: { planner: 1 } })).toEqual(rejected('agent_plan must be a list, got an object'));
    expect(decodeJson('workflow_events', { ...START, agent_plan: ['planner', 3] })).toEqual(rejected('agent_plan must hold strings, got a number'));
    expect(decodeJson('workflow_events', { ...COMPLETE, success: 'yes' })).toEqual(rejected('success must be a boolean, got a string'));
    expect(decodeJson('workflow_events', { ...COMPLETE, agents_executed: 'coder' })).toEqual(rejected('agents_executed must be a list, got a string'));
    expect(decodeJson('workflow_events', { ...HANDOFF, workflow_id: 9 })).toEqual(rejected('workflow_id must be a string, got a number'));
  });

  it.each([0, 6, -1, 0.99, 5.01])('rejects quality_rating %d (outside 1-5)', (q) => {
    expect(decodeJson('metrics', { ...METRIC, quality_rating: q })).toEqual(rejected(`quality_rating must be between 1 and 5, got ${q}`));
  });

  it('rejects a number too large for a double instead of taking Infinity', () => {
    const text = JSON.stringify(METRIC).replace('"quality_rating":4', '"quality_rating":1e400');
    expect(decodeText('metrics', text)).toEqual(rejected('quality_rating must be a finite number, got Infinity'));
  });

  it.each([
    ['a lone 0xff', [0x7b, 0xff, 0x7d]],
    ['a truncated 2-byte sequence', [0x7b, 0xc3, 0x7d]],
    ['an overlong encoding of "/"', [0x7b, 0xc0, 0xaf, 0x7d]],
    ['a UTF-16 surrogate', [0x7b, 0xed, 0xa0, 0x80, 0x7d]],
  ])('rejects invalid UTF-8 (%s)', (_name, bytes) => {
    expect(decodeBytes('metrics', Buffer.from(bytes))).toEqual(rejected('invalid UTF-8'));
  });

  it('rejects invalid UTF-8 inside an otherwise valid record rather than repairing it', () => {
    const [head, tail] = JSON.stringify(METRIC).split('inv-1');
    const bytes = Buffer.concat([Buffer.from(head! + 'inv-'), Buffer.from([0xff]), Buffer.from('1' + tail!)]);
    expect(decodeBytes('metrics', bytes)).toEqual(rejected('invalid UTF-8'));
  });

  it('accepts valid multi-byte UTF-8', () => {
    const out = decodeJson('invocations', { ...INVOCATION, agent_name: 'Ünïcode ✓ 😀' });
    expect(out).toEqual({ type: 'event', event: { ...INVOCATION_EVENT, agentName: 'Ünïcode ✓ 😀' } });
  });

  /** A valid metric line padded with spaces inside the object to exactly `size` bytes. */
  function paddedMetric(size: number): Buffer {
    const text = JSON.stringify(METRIC);
    return Buffer.from(text.slice(0, -1) + ' '.repeat(size - text.length) + '}');
  }

  it('rejects a line over the default maximum of 1 MiB, and accepts one of exactly 1 MiB', () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(1024 * 1024);
    expect(decodeBytes('metrics', paddedMetric(1024 * 1024 + 1))).toEqual(rejected('line longer than 1048576 bytes'));
    expect(decodeBytes('metrics', paddedMetric(1024 * 1024))).toEqual(decodeJson('metrics', METRIC));
  });

  it('rejects a line over a configured maximum', () => {
    const size = JSON.stringify(METRIC).length + 10;
    expect(decodeBytes('metrics', paddedMetric(size), size - 1)).toEqual(rejected(`line longer than ${size - 1} bytes`));
    expect(decodeBytes('metrics', paddedMetric(size), size)).toEqual(decodeJson('metrics', METRIC));
    // The length check comes before the UTF-8 check: an overlong line is never decoded.
    expect(decodeBytes('metrics', Buffer.alloc(200, 0xff), 100)).toEqual(rejected('line longer than 100 bytes'));
  });

  it('gives reasons without control characters, so validate prints them safely', () => {
    const out = decodeText('metrics', '{"a": \u001b[31mred\r');
    expect(out.type).toBe('rejected');
    expect(out.type === 'rejected' && out.reason).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(out.type === 'rejected' && out.reason).toContain('\\u001b');
  });
});
