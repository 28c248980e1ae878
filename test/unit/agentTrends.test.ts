import { describe, expect, it } from 'vitest';
import type { InvocationStatus } from '../../src/domain/events.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { fold, invocation, update, us } from '../support/events.js';

const NOW = us('2026-03-01T00:00:00Z');
const INSUFFICIENT = { trend: 'insufficient_data', success_rate_change: 0, recent_success_rate: 0, historical_success_rate: 0 };

const run = (timestamp: string, status: InvocationStatus, agentName = 'A') => invocation({ agentName, timestamp, status });

/** now - 7 d = 2026-02-22T00:00Z; now - 30 d = 2026-01-30T00:00Z; now - 10 d = 2026-02-19T00:00Z. */
function windows() {
  return [
    run('2026-02-22T00:00:00Z', 'success'), // exactly now - 7 d: recent
    run('2026-03-05T00:00:00Z', 'failure'), // future: recent
    run('2026-02-28T00:00:00Z', 'success'), // recent
    run('2026-02-21T23:59:59.999999Z', 'failure'), // just before now - 7 d: historical
    run('2026-01-30T00:00:00Z', 'success'), // exactly now - 30 d: historical
    run('2026-01-29T23:59:59.999999Z', 'failure'), // before now - 30 d: in neither
    run('yesterday', 'success'), // unparsable: skipped
    run('2026-02-27T00:00:00Z', 'success', 'B'), // other agent
  ];
}

describe('trends', () => {
  it('recent = timestamp >= now - 7 d (future included); historical = [now - N d, now - 7 d)', () => {
    // recent 2/3 = 0.666..; historical 1/2 = 0.5; change 0.1666.. >= 0.05 -> improving
    expect(q.trends(fold(windows()), 'A', 30, NOW)).toEqual({
      trend: 'improving',
      success_rate_change: 0.167,
      recent_success_rate: 0.667,
      historical_success_rate: 0.5,
    });
  });

  it('the days parameter moves the historical window start', () => {
    // days 10: historical = [02-19, 02-22): the failure at 02-21 only -> 0.0; change 0.667
    expect(q.trends(fold(windows()), 'A', 10, NOW)).toEqual({
      trend: 'improving',
      success_rate_change: 0.667,
      recent_success_rate: 0.667,
      historical_success_rate: 0,
    });
    // days 3 < 7: the historical window is empty -> 0.0
    expect(q.trends(fold(windows()), 'A', 3, NOW)).toMatchObject({ historical_success_rate: 0, recent_success_rate: 0.667 });
  });

  it('fewer than 2 invocations (or an unknown agent): insufficient_data', () => {
    const state = fold(windows());
    // B has one invocation
    expect(q.trends(state, 'B', 30, NOW)).toEqual(INSUFFICIENT);
    expect(q.trends(state, 'nobody', 30, NOW)).toEqual(INSUFFICIENT);
    expect(q.trends(fold([]), 'A', 30, NOW)).toEqual(INSUFFICIENT);
  });

  it('two invocations outside both windows (or unparsable) are enough to say stable at zero', () => {
    const state = fold([run('2025-01-01T00:00:00Z', 'success'), run('garbage', 'success')]);
    expect(q.trends(state, 'A', 30, NOW)).toEqual({ trend: 'stable', success_rate_change: 0, recent_success_rate: 0, historical_success_rate: 0 });
  });

  it('declining, and stable under 0.05', () => {
    const declining = fold([run('2026-02-28T00:00:00Z', 'failure'), run('2026-02-10T00:00:00Z', 'success')]);
    // recent 0/1, historical 1/1: change -1 -> declining
    expect(q.trends(declining, 'A', 30, NOW)).toEqual({ trend: 'declining', success_rate_change: -1, recent_success_rate: 0, historical_success_rate: 1 });
    // recent 24/25 = 0.96, historical 1/1: change -0.04, |-0.04| < 0.05 -> stable
    const recent = Array.from({ length: 25 }, (_, n) => run('2026-02-28T00:00:00Z', n === 0 ? 'failure' : 'success'));
    const stable = fold([...recent, run('2026-02-10T00:00:00Z', 'success')]);
    expect(q.trends(stable, 'A', 30, NOW)).toEqual({ trend: 'stable', success_rate_change: -0.04, recent_success_rate: 0.96, historical_success_rate: 1 });
  });

  it('any status counts in the denominator; only success in the numerator', () => {
    const state = fold([
      run('2026-02-28T00:00:00Z', 'success'),
      run('2026-02-28T00:00:00Z', 'partial'),
      run('2026-02-28T00:00:00Z', 'unknown'),
      run('2026-02-28T00:00:00Z', 'failure'),
    ]);
    // recent 1/4 = 0.25, historical 0: change 0.25 -> improving
    expect(q.trends(state, 'A', 30, NOW)).toEqual({ trend: 'improving', success_rate_change: 0.25, recent_success_rate: 0.25, historical_success_rate: 0 });
  });

  it('replacement: an update changes the point, a rename moves it to the other agent', () => {
    const i1 = run('2026-02-28T00:00:00Z', 'unknown');
    const i2 = run('2026-02-10T00:00:00Z', 'success');
    // recent 0/1 (unknown) vs 1/1 -> declining; after the update, 1/1 vs 1/1 -> stable
    expect(q.trends(fold([i1, i2]), 'A', 30, NOW).trend).toBe('declining');
    const state = fold([i1, i2, update(i1, { status: 'success' })]);
    expect(q.trends(state, 'A', 30, NOW)).toEqual({ trend: 'stable', success_rate_change: 0, recent_success_rate: 1, historical_success_rate: 1 });
    // renamed: A is left with one invocation
    const renamed = fold([i1, i2, update(i1, { agentName: 'B' })]);
    expect(q.trends(renamed, 'A', 30, NOW)).toEqual(INSUFFICIENT);
  });
});
