/**
 * The packed hand-over of a parallel replay (src/pipeline/outcomeBatch.ts): whatever the decode
 * produced, in whatever batches it was cut, the reader gives back the same outcomes in the same
 * order, and events with the same keys in the same order (the folds and the onEvent hook see
 * exactly what a one-thread replay gives them).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecodeOutcome } from '../../src/decode/decodeLine.js';
import type { TelemetryEvent } from '../../src/domain/events.js';
import { type OutcomeBatch, OutcomeBatchReader, OutcomeBatchWriter, type RejectedLine } from '../../src/pipeline/outcomeBatch.js';

/** Names from a small set, so most repeat across lines and batches (what the numbering is for). */
const name = fc.constantFrom('coder', 'qa-specialist', '__proto__', 'ünïcödé', '', 'constructor', 'a'.repeat(40));
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), name);
const id = fc.oneof(fc.uuid(), text);
const orNull = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const number = fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, 1e-300, 5));
const timeUs = fc.oneof(fc.integer({ min: -1e15, max: 1e16 }), fc.constant(Number.NaN));

const invocation: fc.Arbitrary<TelemetryEvent> = fc.record({
  kind: fc.constant('invocation' as const),
  invocationId: id,
  timestamp: text,
  timeUs,
  sessionId: orNull(id),
  workflowId: orNull(id),
  agentName: name,
  agentType: name,
  taskDescription: text,
  taskType: orNull(name),
  status: fc.constantFrom('success' as const, 'failure' as const, 'partial' as const, 'unknown' as const),
  durationSeconds: orNull(number),
  errorMessage: orNull(text),
});
const metric: fc.Arbitrary<TelemetryEvent> = fc.record({
  kind: fc.constant('metric' as const),
  invocationId: id,
  timestamp: text,
  success: fc.boolean(),
  qualityRating: number,
});
const base = { workflowId: id, sessionId: orNull(id), timestamp: text, timeUs };
const start: fc.Arbitrary<TelemetryEvent> = fc.record({
  kind: fc.constant('workflow_start' as const),
  ...base,
  projectName: orNull(name),
  agentPlan: fc.array(name, { maxLength: 4 }),
  estimatedDuration: orNull(number),
});
const handoff: fc.Arbitrary<TelemetryEvent> = fc.record({
  kind: fc.constant('agent_handoff' as const),
  ...base,
  fromAgent: orNull(name),
  toAgent: orNull(name),
  artifacts: fc.array(text, { maxLength: 3 }),
});
const complete: fc.Arbitrary<TelemetryEvent> = fc.record({
  kind: fc.constant('workflow_complete' as const),
  ...base,
  durationSeconds: number,
  success: fc.boolean(),
  agentsExecuted: fc.array(name, { maxLength: 4 }),
});
const unknown: fc.Arbitrary<TelemetryEvent> = fc.record({ kind: fc.constant('unknown_workflow_event' as const), ...base, event: text });

type Line =
  | { readonly outcome: DecodeOutcome; readonly rejected: RejectedLine | null }
  | { readonly text: string; readonly line: number; readonly byteOffset: number };

const line: fc.Arbitrary<Line> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(invocation, metric, start, handoff, complete, unknown).map((event): Line => ({ outcome: { type: 'event', event }, rejected: null })) },
  { weight: 1, arbitrary: fc.constant<Line>({ outcome: { type: 'blank' }, rejected: null }) },
  { weight: 1, arbitrary: text.map((reason): Line => ({ outcome: { type: 'skipped', reason }, rejected: null })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ reason: text, line: fc.integer({ min: 1, max: 2 ** 31 - 1 }), byteOffset: fc.maxSafeNat(), bytes: orNull(fc.uint8Array({ maxLength: 20 })), whole: fc.boolean() })
      .map(({ reason, ...where }): Line => ({ outcome: { type: 'rejected', reason }, rejected: where })),
  },
  { weight: 2, arbitrary: fc.record({ text, line: fc.integer({ min: 1, max: 2 ** 31 - 1 }), byteOffset: fc.maxSafeNat() }) },
);

/** What a reader hands over, as comparable values (with each event's key order). */
type Read = readonly [string, unknown, unknown?];

function roundTrip(lines: readonly Line[], cuts: ReadonlySet<number>): Read[] {
  const writer = new OutcomeBatchWriter();
  const batches: OutcomeBatch[] = [];
  lines.forEach((l, i) => {
    if ('text' in l) writer.addText(l.text, l.line, l.byteOffset);
    else writer.add(l.outcome, l.rejected);
    if (cuts.has(i)) batches.push(structuredClone(writer.take().batch));
  });
  batches.push(structuredClone(writer.take().batch));
  const out: Read[] = [];
  const reader = new OutcomeBatchReader();
  for (const batch of batches) {
    reader.read(batch, {
      event: (event) => out.push(['event', event, Object.keys(event)]),
      blank: () => out.push(['blank', null]),
      skipped: (reason) => out.push(['skipped', reason]),
      rejected: (reason, where) => out.push(['rejected', reason, { ...where, bytes: where.bytes === null ? null : [...where.bytes] }]),
      text: (text, line, byteOffset) => out.push(['text', text, { line, byteOffset }]),
    });
  }
  return out;
}

function expected(lines: readonly Line[]): Read[] {
  return lines.map((l): Read => {
    if ('text' in l) return ['text', l.text, { line: l.line, byteOffset: l.byteOffset }];
    const { outcome, rejected } = l;
    switch (outcome.type) {
      case 'event':
        return ['event', outcome.event, Object.keys(outcome.event)];
      case 'blank':
        return ['blank', null];
      case 'skipped':
        return ['skipped', outcome.reason];
      case 'rejected':
        return ['rejected', outcome.reason, { ...rejected, bytes: rejected?.bytes == null ? null : [...rejected.bytes] }];
    }
  });
}

describe('outcome batches', () => {
  it('property: any outcomes, cut into batches anywhere, read back the same, in order', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.uniqueArray(fc.nat(60)), (lines, cuts) => {
        expect(roundTrip(lines, new Set(cuts))).toEqual(expected(lines));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps -0, NaN and null apart', () => {
    const event: TelemetryEvent = {
      kind: 'invocation', invocationId: 'i', timestamp: 't', timeUs: Number.NaN, sessionId: null, workflowId: null, agentName: 'a',
      agentType: '', taskDescription: '', taskType: null, status: 'partial', durationSeconds: -0, errorMessage: null,
    };
    const [read] = roundTrip([{ outcome: { type: 'event', event }, rejected: null }], new Set());
    const got = read?.[1] as { timeUs: number; durationSeconds: number | null };
    expect(Object.is(got.durationSeconds, -0)).toBe(true);
    expect(got.timeUs).toBeNaN();
    expect(got).toEqual(event);
  });

  it('numbers a name once, however many batches use it', () => {
    const writer = new OutcomeBatchWriter();
    const event: TelemetryEvent = { kind: 'workflow_start', workflowId: 'w', sessionId: null, timestamp: 't', timeUs: 1, projectName: 'p', agentPlan: ['coder', 'coder'], estimatedDuration: null };
    writer.add({ type: 'event', event }, null);
    const first = writer.take().batch;
    writer.add({ type: 'event', event }, null);
    const second = writer.take().batch;
    expect(first.names).toEqual(['p', 'coder']);
    expect(second.names).toEqual([]);
  });
});
