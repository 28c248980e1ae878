import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../src/decode/rejection.js';
import { RejectionReports, RejectionTally, type Schedule } from '../../src/daemon/rejectionReports.js';
import type { SourceKind } from '../../src/domain/sources.js';
import { capturedLog } from '../support/capturedLog.js';

const rejection = (file: SourceKind, line: number, reason = 'missing invocation_id'): Rejection => ({ file, line, byteOffset: line * 3, reason });

const capture = () => capturedLog();

/** A clock and a scheduler under the test's control. */
function fakeTime() {
  let now = 1_000_000;
  let pending: Array<{ at: number; fn: () => void; live: boolean }> = [];
  const schedule: Schedule = (fn, ms) => {
    const entry = { at: now + ms, fn, live: true };
    pending.push(entry);
    return () => (entry.live = false);
  };
  return {
    clock: () => now,
    schedule,
    advance(ms: number) {
      now += ms;
      for (;;) {
        const ready = pending.filter((p) => p.live && p.at <= now).sort((a, b) => a.at - b.at)[0];
        if (ready === undefined) break;
        ready.live = false;
        ready.fn();
      }
      pending = pending.filter((p) => p.live);
    },
    timers: () => pending.filter((p) => p.live).length,
  };
}

describe('RejectionTally', () => {
  it('logs the first 10 of a file per interval, counts the rest, and starts afresh after the interval', () => {
    const tally = new RejectionTally(10, 10_000);
    const logged = Array.from({ length: 25 }, (_, i) => tally.note(rejection('invocations', i + 1), 0));
    expect(logged.filter(Boolean)).toHaveLength(10);
    expect(logged.slice(0, 10).every(Boolean)).toBe(true);
    expect(tally.nextDueMs()).toBe(10_000);
    expect(tally.due(9_999)).toEqual([]);
    const [summary, ...rest] = tally.due(10_000);
    expect(rest).toEqual([]);
    expect(summary).toMatchObject({ file: 'invocations', count: 15, firstLine: 11, lastLine: 25, sinceMs: 0 });
    expect([...(summary?.byReason ?? [])]).toEqual([['bad_field', 15]]);
    expect(tally.nextDueMs()).toBeNull();
    // A new interval: logged one by one again.
    expect(tally.note(rejection('invocations', 26), 10_001)).toBe(true);
  });

  it('keeps files apart and counts by kind of reason', () => {
    const tally = new RejectionTally(1, 1000);
    tally.note(rejection('metrics', 1), 0);
    tally.note(rejection('metrics', 2, 'not JSON: Unexpected end'), 0);
    tally.note(rejection('metrics', 3, 'not a JSON object'), 0);
    tally.note(rejection('metrics', 4, 'not JSON: bad token'), 0);
    expect(tally.note(rejection('workflow_events', 1), 500)).toBe(true);
    tally.note(rejection('workflow_events', 2), 500);
    const summaries = tally.due(1000);
    expect(summaries.map((s) => [s.file, s.count, Object.fromEntries(s.byReason)])).toEqual([['metrics', 3, { not_json: 2, not_object: 1 }]]);
    expect(tally.due(1500, true).map((s) => [s.file, s.count, s.firstLine, s.lastLine])).toEqual([['workflow_events', 1, 2, 2]]);
  });

  it('every rejection is either logged or in exactly one summary, whatever the timing', () => {
    const files: SourceKind[] = ['invocations', 'metrics', 'workflow_events'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...files), fc.nat(3000)), { maxLength: 300 }), fc.integer({ min: 1, max: 5 }), (steps, perInterval) => {
        const tally = new RejectionTally(perInterval, 1000);
        let now = 0;
        let logged = 0;
        let summarised = 0;
        const lineOf = new Map<SourceKind, number>();
        for (const [file, gap] of steps) {
          now += gap;
          for (const s of tally.due(now)) summarised += s.count;
          const line = (lineOf.get(file) ?? 0) + 1;
          lineOf.set(file, line);
          if (tally.note(rejection(file, line), now)) logged++;
        }
        for (const s of tally.due(now, true)) summarised += s.count;
        expect(logged + summarised).toBe(steps.length);
      }),
    );
  });
});

describe('RejectionReports', () => {
  it('100,000 rejections of one file: every record appended, 10 lines and one summary logged', () => {
    const { log, lines } = capture();
    const time = fakeTime();
    const records: object[] = [];
    const reports = new RejectionReports(log, { append: (r) => records.push(r) }, time.clock, { schedule: time.schedule });
    for (let i = 1; i <= 100_000; i++) reports.report(rejection('invocations', i), Buffer.from('{}'), true);
    expect(records).toHaveLength(100_000);
    expect(records[0]).toEqual({ at: expect.any(String) as unknown, file: 'agent_invocations.jsonl', line: 1, byte_offset: 3, reason: 'missing invocation_id', raw: '{}' });
    expect(lines.filter((l) => l.msg === 'line rejected')).toHaveLength(10);
    expect(lines.filter((l) => String(l.msg).startsWith('lines rejected:'))).toHaveLength(0);
    expect(time.timers()).toBe(1);

    time.advance(10_000);
    const summaries = lines.filter((l) => String(l.msg).startsWith('lines rejected:'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 40, file: 'agent_invocations.jsonl', rejected: 99_990, by_reason: { bad_field: 99_990 }, first_line: 11, last_line: 100_000 });
    expect(time.timers()).toBe(0);
  });

  it('a file counted later but started earlier gets its summary at its own interval end', () => {
    const { log, lines } = capture();
    const time = fakeTime();
    const reports = new RejectionReports(log, { append: () => undefined }, time.clock, { schedule: time.schedule, perInterval: 1, intervalMs: 1000 });
    reports.report(rejection('metrics', 1), null, false);
    time.advance(300);
    reports.report(rejection('invocations', 1), null, false);
    reports.report(rejection('invocations', 2), null, false);
    time.advance(100);
    reports.report(rejection('metrics', 2), null, false);
    time.advance(600);
    expect(lines.filter((l) => String(l.msg).startsWith('lines rejected:')).map((l) => l.file)).toEqual(['success_metrics.jsonl']);
    time.advance(300);
    expect(lines.filter((l) => String(l.msg).startsWith('lines rejected:')).map((l) => l.file)).toEqual(['success_metrics.jsonl', 'agent_invocations.jsonl']);
  });

  it('close logs what is counted so far and leaves no timer', () => {
    const { log, lines } = capture();
    const time = fakeTime();
    const reports = new RejectionReports(log, { append: () => undefined }, time.clock, { schedule: time.schedule, perInterval: 2 });
    for (let i = 1; i <= 5; i++) reports.report(rejection('workflow_events', i), null, false);
    reports.close();
    expect(time.timers()).toBe(0);
    expect(lines.filter((l) => String(l.msg).startsWith('lines rejected:'))).toMatchObject([{ rejected: 3, first_line: 3, last_line: 5 }]);
  });
});
