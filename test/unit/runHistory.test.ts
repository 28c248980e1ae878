/**
 * History and timelines. Given literal runs and workflows (times in the comments), when asked,
 * then the buckets, rates, overhead and bars worked out by hand; and the figures they share with
 * `stats`, `overhead` and `gaps` are the same numbers.
 */
import { describe, expect, it } from 'vitest';
import { renderHistory, renderTimeline } from '../../src/cli/renderHistory.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, invocation, update, us, workflowStart } from '../support/events.js';

const day = (d: number, hms: string): string => `2026-01-${String(d).padStart(2, '0')}T${hms}.000000Z`;

const runs = [
  invocation({ invocationId: 'i1', agentName: 'a', status: 'success', timestamp: day(10, '09:10:00') }),
  invocation({ invocationId: 'i2', agentName: 'a', status: 'failure', timestamp: day(10, '09:50:00') }),
  invocation({ invocationId: 'i3', agentName: 'b', status: 'success', timestamp: day(10, '10:05:00') }),
  invocation({ invocationId: 'i4', agentName: 'b', status: 'partial', timestamp: day(12, '10:00:00') }),
];

/** w1: 10:00 -> 10:30 on the 10th (1800 s), one agent for 900 s: overhead 50%. */
const w1 = [
  workflowStart({ workflowId: 'w1', projectName: 'shop', timestamp: day(10, '10:00:00') }),
  invocation({ invocationId: 'w1-a', workflowId: 'w1', agentName: 'a', timestamp: day(10, '10:05:00'), durationSeconds: 900, status: 'success' }),
  complete({ workflowId: 'w1', timestamp: day(10, '10:30:00'), durationSeconds: 1800 }),
];

describe('history', () => {
  it('buckets runs by their own timestamps, per day once the data spans more than 48 h', () => {
    const view = q.history(fold(runs));
    expect(view.bucket).toBe('day');
    expect(view.buckets.map((b) => [b.start, b.runs, b.successes, b.failures, b.success_rate])).toEqual([
      ['2026-01-10T00:00:00.000000Z', 3, 2, 1, 0.667],
      // a partial run counts as a run, not as decided
      ['2026-01-12T00:00:00.000000Z', 1, 0, 0, null],
    ]);
    expect(view.agents).toEqual(['a', 'b']);
    expect(view.buckets[0]?.agent_runs).toEqual([2, 1]);
    expect(view.buckets[0]?.agent_success_rate).toEqual([0.5, 1]);
    expect([view.from, view.to]).toEqual(['2026-01-10T00:00:00.000000Z', '2026-01-13T00:00:00.000000Z']);
  });

  it('per hour when the data spans 48 h or less, or when asked; a range is whole hours', () => {
    const hourly = q.history(fold(runs.slice(0, 3)));
    expect(hourly.bucket).toBe('hour');
    expect(hourly.buckets.map((b) => [b.start.slice(11, 13), b.runs])).toEqual([['09', 2], ['10', 1]]);
    const ranged = q.history(fold(runs), { bucket: 'hour', sinceUs: us(day(10, '09:59:59')), untilUs: us(day(12, '08:00:00')) });
    expect(ranged.buckets.map((b) => [b.start, b.runs])).toEqual([
      ['2026-01-10T09:00:00.000000Z', 2],
      ['2026-01-10T10:00:00.000000Z', 1],
    ]);
  });

  it('a replaced record moves its run to its new hour and status', () => {
    const first = runs[0] as ReturnType<typeof invocation>;
    const view = q.history(fold([...runs, update(first, { status: 'failure', timestamp: day(12, '09:00:00') })]));
    expect(view.buckets.map((b) => [b.runs, b.successes, b.failures])).toEqual([
      [2, 1, 1],
      [2, 0, 1],
    ]);
  });

  it('overhead per bucket is `overhead` over the workflows completed in it; runs sum to `stats`', () => {
    const state = fold([...runs, ...w1]);
    const view = q.history(state, { bucket: 'day' });
    const tenth = view.buckets[0];
    expect(tenth?.workflows_counted).toBe(1);
    expect(tenth?.overhead_pct).toBe(50);
    expect(tenth?.overhead_pct).toBe(q.overhead(state).coordination_overhead_pct);
    expect(view.buckets[1]?.overhead_pct).toBeNull();
    expect(view.runs).toBe(q.stats(state).total_invocations);
  });

  it('a project keeps only the runs that name its workflows', () => {
    const view = q.history(fold([...runs, ...w1]), { project: 'shop' });
    expect([view.runs, view.agents, view.buckets.length]).toEqual([1, ['a'], 1]);
    expect(q.history(fold([...runs, ...w1]), { project: 'nope' }).buckets).toEqual([]);
  });

  it('an unparsable timestamp is counted apart, in no bucket', () => {
    const view = q.history(fold([...runs, invocation({ invocationId: 'odd', timestamp: 'yesterday' })]));
    expect([view.runs, view.undated_runs]).toEqual([4, 1]);
  });
});

describe('timeline', () => {
  /** w2: 11:00 -> 11:20 (1200 s): a 11:01 +300, b 11:10 +120, c 11:11 +60 (overlaps b by 60). */
  const w2 = [
    workflowStart({ workflowId: 'w2', timestamp: day(10, '11:00:00') }),
    invocation({ invocationId: 'c', workflowId: 'w2', agentName: 'c', timestamp: day(10, '11:11:00'), durationSeconds: 60 }),
    invocation({ invocationId: 'a', workflowId: 'w2', agentName: 'a', timestamp: day(10, '11:01:00'), durationSeconds: 300 }),
    invocation({ invocationId: 'b', workflowId: 'w2', agentName: 'b', timestamp: day(10, '11:10:00'), durationSeconds: 120 }),
    complete({ workflowId: 'w2', timestamp: day(10, '11:20:00'), durationSeconds: 1200 }),
  ];

  it('bars in time order with the gap before each, idle before and after, as `gaps` counts them', () => {
    const state = fold([...w1, ...w2]);
    const view = q.timeline(state, 'w2');
    expect(view?.bars.map((b) => [b.agent_name, b.start.slice(11, 19), b.end.slice(11, 19), b.gap_before_seconds])).toEqual([
      ['a', '11:01:00', '11:06:00', null],
      ['b', '11:10:00', '11:12:00', 240],
      ['c', '11:11:00', '11:12:00', 0],
    ]);
    expect([view?.idle_before_seconds, view?.idle_after_seconds, view?.overlap_seconds, view?.coordination_seconds, view?.span_seconds]).toEqual([60, 480, 60, 780, 1200]);
    for (const id of ['w1', 'w2']) {
      const row = q.gaps(state).workflows.items.find((w) => w.workflow_id === id);
      const t = q.timeline(state, id);
      expect([t?.total_gap_seconds, t?.overlap_seconds, t?.idle_before_seconds, t?.idle_after_seconds, t?.coordination_seconds, t?.span_seconds]).toEqual([
        row?.total_gap_seconds,
        row?.overlap_seconds,
        row?.idle_before_seconds,
        row?.idle_after_seconds,
        row?.coordination_seconds,
        row?.span_seconds,
      ]);
    }
  });

  it('null for a workflow nothing names', () => {
    expect(q.timeline(fold(w1), 'w9')).toBeNull();
  });
});

describe('history and timeline tables', () => {
  it('fit 80 columns with long agent names and busy hours', () => {
    const long = 'an-agent-with-a-really-long-descriptive-name';
    const W_LONG = `workflow-${'x'.repeat(200)}`;
    const events = Array.from({ length: 400 }, (_, i) =>
      invocation({ agentName: `${long}-${i % 3}`, workflowId: W_LONG, timestamp: day(10 + (i % 2), `${String(Math.floor(i / 6) % 24).padStart(2, '0')}:00:00`), durationSeconds: 10 }),
    );
    const state = fold([workflowStart({ workflowId: W_LONG, projectName: 'a project with a long name', timestamp: day(10, '00:00:00') }), ...events]);
    for (const text of [renderHistory(q.history(state, { bucket: 'day' })), renderHistory(q.history(state, { bucket: 'hour' })), renderTimeline(q.timeline(state, W_LONG), W_LONG)]) {
      const widest = Math.max(...text.split('\n').map((line) => [...line].length));
      expect(widest, text).toBeLessThanOrEqual(80);
    }
  });
});
