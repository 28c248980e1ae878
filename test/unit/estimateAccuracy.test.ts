/**
 * Estimate accuracy: actual (the complete's duration_seconds) / estimated_duration, for
 * completed workflows with an estimate above 0. Given literal workflows, when asked, then the
 * ratios and their summaries as worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, us, workflowStart } from '../support/events.js';

function estimated(workflowId: string, projectName: string | null, estimate: number | null, actual: number | null, day = 1) {
  const timestamp = `2026-01-${String(day).padStart(2, '0')}T10:00:00Z`;
  const events = [workflowStart({ workflowId, projectName, estimatedDuration: estimate, timestamp })];
  return actual === null ? events : [...events, complete({ workflowId, durationSeconds: actual, timestamp: timestamp.replace('T10', 'T11') })];
}

/**
 * shop: e1 50/100 = 0.5, e2 150/100 = 1.5, e3 250/100 = 2.5; blog: e4 200/200 = 1.
 * Not counted: e5 (estimate 0), e6 (no estimate), e8 (no start): "without estimate"; e7 (open).
 */
const events = [
  ...estimated('e1', 'shop', 100, 50, 1),
  ...estimated('e2', 'shop', 100, 150, 2),
  ...estimated('e3', 'shop', 100, 250, 3),
  ...estimated('e4', 'blog', 200, 200, 4),
  ...estimated('e5', 'blog', 0, 100, 5),
  ...estimated('e6', 'blog', null, 100, 6),
  ...estimated('e7', 'blog', 100, null, 7),
  complete({ workflowId: 'e8', durationSeconds: 100 }),
];

describe('estimates', () => {
  it('overall and per project: count, median and p90 ratio, share over, overruns (> 2x)', () => {
    const view = q.estimates(fold(events));
    // overall [0.5, 1, 1.5, 2.5]: median (1 + 1.5) / 2 = 1.25; p90 at rank 2.7: 1.5 + 1 x 0.7 = 2.2;
    // over estimate 1.5 and 2.5: 2 of 4; more than 2x: 2.5 only
    expect(view.overall).toEqual({ workflows: 4, median_ratio: 1.25, p90_ratio: 2.2, over_estimate_share: 0.5, overruns: 1 });
    // shop [0.5, 1.5, 2.5]: median 1.5; p90 at rank 1.8: 1.5 + 1 x 0.8 = 2.3; 2 of 3 over = 0.667
    expect(view.projects).toEqual([
      { project: 'shop', workflows: 3, median_ratio: 1.5, p90_ratio: 2.3, over_estimate_share: 0.667, overruns: 1 },
      // exactly on estimate is not over it
      { project: 'blog', workflows: 1, median_ratio: 1, p90_ratio: 1, over_estimate_share: 0, overruns: 0 },
    ]);
    expect(view.completed_without_estimate).toBe(3);
  });

  it('the worst workflows: largest ratio first, ties by id', () => {
    const view = q.estimates(fold([...events, ...estimated('e0', null, 40, 100, 9)]));
    // e0 100/40 = 2.5 ties e3; 'e0' < 'e3'
    expect(view.worst.count).toBe(5);
    expect(view.worst.items.map((w) => [w.workflow_id, w.ratio])).toEqual([
      ['e0', 2.5],
      ['e3', 2.5],
      ['e2', 1.5],
      ['e4', 1],
      ['e1', 0.5],
    ]);
    expect(view.worst.items[0]).toEqual({ workflow_id: 'e0', project: null, estimate_seconds: 40, actual_seconds: 100, ratio: 2.5 });
    // projects with more workflows first; a null project sorts as the empty name
    expect(view.projects.map((p) => [p.project, p.workflows])).toEqual([
      ['shop', 3],
      [null, 1],
      ['blog', 1],
    ]);
  });

  it('exactly twice the estimate is not an overrun', () => {
    expect(q.estimates(fold(estimated('w', 'p', 100, 200))).overall).toMatchObject({ overruns: 0, over_estimate_share: 1 });
  });

  it('nothing estimated: nulls, not zeros', () => {
    expect(q.estimates(fold(estimated('w', 'p', null, 100)))).toEqual({
      overall: { workflows: 0, median_ratio: null, p90_ratio: null, over_estimate_share: null, overruns: 0 },
      projects: [],
      worst: { count: 0, items: [] },
      completed_without_estimate: 1,
    });
  });

  it('filters by project and start time; --limit caps the worst list, not the summaries', () => {
    const state = fold(events);
    expect(q.estimates(state, { filter: { project: 'blog' } })).toMatchObject({
      overall: { workflows: 1, median_ratio: 1 },
      completed_without_estimate: 2,
    });
    // started day 3 or later: e3, e4 (e5, e6 without estimate; e8 has no start and completed on the default day, 10th)
    const since = q.estimates(state, { filter: { sinceUs: us('2026-01-03T10:00:00Z') } });
    expect(since.worst.items.map((w) => w.workflow_id)).toEqual(['e3', 'e4']);
    expect(since.completed_without_estimate).toBe(3);
    const limited = q.estimates(state, { limit: 2 });
    expect(limited.worst).toMatchObject({ count: 4 });
    expect(limited.worst.items.map((w) => w.workflow_id)).toEqual(['e3', 'e2']);
    expect(limited.overall).toEqual(q.estimates(state).overall);
  });
});
