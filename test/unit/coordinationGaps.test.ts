/**
 * Coordination gaps. Given literal workflows (times in the comments, seconds after the start),
 * when asked, then gaps, overlap, idle time and their totals as worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, invocation, update, us, workflowStart } from '../support/events.js';

const at = (hms: string): string => `2026-01-10T${hms}Z`;

function run(workflowId: string, agentName: string, hms: string, durationSeconds: number | null) {
  return invocation({ workflowId, agentName, timestamp: at(hms), durationSeconds });
}

/**
 * w1, 10:00:00 -> 10:30:00 (1800 s), no overlap:
 *   a 10:02:00 +300 (ends 10:07), b 10:10:00 +600 (ends 10:20), c 10:21:00 +300 (ends 10:26)
 *   gaps a->b 180, b->c 60; idle before 120, after 240; coordination 600 of 1800.
 */
const w1 = [
  workflowStart({ workflowId: 'w1', projectName: 'shop', timestamp: at('10:00:00') }),
  // written out of time order: the view orders by timestamp
  run('w1', 'c', '10:21:00', 300),
  run('w1', 'a', '10:02:00', 300),
  run('w1', 'b', '10:10:00', 600),
  complete({ workflowId: 'w1', timestamp: at('10:30:00'), durationSeconds: 1800 }),
];

/**
 * w2, 11:00:00 -> 11:20:00 (1200 s), parallel work:
 *   a 11:00:00 +600 (ends 11:10), b 11:05:00 +300 (ends 11:10), c 11:08:00 +60 (ends 11:09)
 *   a->b: 300 - 600 = -300: gap 0, overlap 300; b->c: 480 - 600 = -120: gap 0, overlap 120;
 *   idle before 0; the last end is 11:10 (a and b), not c's 11:09: idle after 600.
 */
const w2 = [
  workflowStart({ workflowId: 'w2', projectName: 'blog', timestamp: at('11:00:00') }),
  run('w2', 'a', '11:00:00', 600),
  run('w2', 'b', '11:05:00', 300),
  run('w2', 'c', '11:08:00', 60),
  complete({ workflowId: 'w2', timestamp: at('11:20:00'), durationSeconds: 1200 }),
];

describe('gaps: one workflow', () => {
  it('orders invocations by timestamp; gap = next start - (prev start + prev duration)', () => {
    const view = q.gaps(fold(w1));
    expect(view.workflows.items).toEqual([
      {
        workflow_id: 'w1',
        project: 'shop',
        transitions: 2,
        median_gap_seconds: 120, // (60 + 180) / 2
        p90_gap_seconds: 168, // 60 + (180 - 60) x 0.9
        total_gap_seconds: 240,
        overlap_seconds: 0,
        idle_before_seconds: 120,
        idle_after_seconds: 240,
        coordination_seconds: 600,
        span_seconds: 1800,
      },
    ]);
    expect(view.coordination).toEqual({
      workflows: 1,
      coordination_seconds: 600,
      span_seconds: 1800,
      coordination_pct: 33.33,
      gap_seconds: 240,
      idle_before_seconds: 120,
      idle_after_seconds: 240,
      overlap_seconds: 0,
    });
  });

  it('without overlap, coordination share equals overhead', () => {
    // agent time 1200 of 1800: (1800 - 1200) / 1800 = 33.33 %
    const state = fold(w1);
    expect(q.gaps(state).coordination.coordination_pct).toBe(q.overhead(state).coordination_overhead_pct);
  });

  it('overlap is floored out of the gaps and reported apart; idle after runs from the latest end', () => {
    const view = q.gaps(fold(w2));
    expect(view.workflows.items[0]).toMatchObject({
      transitions: 2,
      total_gap_seconds: 0,
      overlap_seconds: 420,
      idle_before_seconds: 0,
      idle_after_seconds: 600,
      coordination_seconds: 600,
      span_seconds: 1200,
    });
    expect(view.pairs.items.map((p) => [p.from_agent, p.to_agent, p.total_seconds])).toEqual([
      ['a', 'b', 0],
      ['b', 'c', 0],
    ]);
  });

  it('an invocation before the start floors idle before at 0; one without a duration ends where it starts', () => {
    const view = q.gaps(
      fold([
        workflowStart({ workflowId: 'w', timestamp: at('10:00:00') }),
        run('w', 'a', '09:59:00', 120), // ends 10:01
        run('w', 'b', '10:03:00', null), // a->b 120; b "ends" 10:03
        run('w', 'c', '10:04:00', 60), // b->c 60; ends 10:05
        complete({ workflowId: 'w', timestamp: at('10:10:00') }),
      ]),
    );
    expect(view.workflows.items[0]).toMatchObject({ idle_before_seconds: 0, total_gap_seconds: 180, idle_after_seconds: 300, coordination_seconds: 480 });
  });

  it('equal timestamps keep file order; an unparsable one has no place in time', () => {
    const view = q.gaps(
      fold([
        run('w', 'x', '10:00:00', 60),
        run('w', 'y', '10:00:00', 60),
        invocation({ workflowId: 'w', agentName: 'z', timestamp: 'later', durationSeconds: 60 }),
      ]),
    );
    expect(view.pairs.items).toEqual([{ from_agent: 'x', to_agent: 'y', count: 1, median_seconds: 0, p90_seconds: 0, total_seconds: 0 }]);
    expect(view.workflows.items[0]).toMatchObject({ overlap_seconds: 60, idle_before_seconds: null, idle_after_seconds: null, span_seconds: null });
  });

  it('a replaced invocation counts with its last record only', () => {
    const first = run('w', 'a', '10:00:00', null);
    const view = q.gaps(
      fold([
        workflowStart({ workflowId: 'w', timestamp: at('10:00:00') }),
        first,
        run('w', 'b', '10:10:00', 60),
        update(first, { durationSeconds: 300 }), // a ends 10:05: a->b 300
        complete({ workflowId: 'w', timestamp: at('10:11:00') }),
      ]),
    );
    expect(view.transitions).toBe(1);
    expect(view.workflows.items[0]).toMatchObject({ total_gap_seconds: 300, coordination_seconds: 300 });
  });
});

describe('gaps: across workflows', () => {
  it('totals count completed workflows with a start and invocations; open ones are listed, not summed', () => {
    const state = fold([
      ...w1,
      ...w2,
      workflowStart({ workflowId: 'open', timestamp: at('12:00:00') }),
      run('open', 'a', '12:01:00', 60),
      // started and completed, nothing ran in it: listed with no idle time, not summed
      workflowStart({ workflowId: 'empty', timestamp: at('13:00:00') }),
      complete({ workflowId: 'empty', timestamp: at('13:10:00'), durationSeconds: 600 }),
    ]);
    const view = q.gaps(state);
    // coordination 600 + 600 = 1200 of 1800 + 1200 = 3000: 40 %; gaps 240 + 0, idle before 120 + 0,
    // after 240 + 600, overlap 300 + 120. Overhead sums agent time, parallel runs twice:
    // 1200 + (600 + 300 + 60) = 2160, so (3000 - 2160) / 3000 = 28 %. They agree only without overlap.
    expect(view.coordination).toEqual({
      workflows: 2,
      coordination_seconds: 1200,
      span_seconds: 3000,
      coordination_pct: 40,
      gap_seconds: 240,
      idle_before_seconds: 120,
      idle_after_seconds: 840,
      overlap_seconds: 420,
    });
    expect(q.overhead(state).coordination_overhead_pct).toBe(28);
    expect(view.workflows_considered).toBe(4);
    // most coordination first; ties (w1, w2 at 600) by id
    expect(view.workflows.items.map((w) => [w.workflow_id, w.coordination_seconds])).toEqual([
      ['w1', 600],
      ['w2', 600],
      ['open', 60],
      ['empty', 0],
    ]);
    expect(view.workflows.items[2]).toMatchObject({ transitions: 0, median_gap_seconds: null, p90_gap_seconds: null, idle_after_seconds: null, span_seconds: null });
  });

  it('per transition pair: count, median, p90 and total of its gaps; largest total first, ties by names', () => {
    // p->r gaps 60, 180, 300 (three workflows); r->p gap 540; s->t gap 540
    const wf = (id: string, hour: string, gap: number) => [
      run(id, 'p', `${hour}:00:00`, 60),
      invocation({ workflowId: id, agentName: 'r', timestamp: at(`${hour}:0${(60 + gap) / 60}:00`), durationSeconds: 60 }),
    ];
    const view = q.gaps(
      fold([
        ...wf('k1', '01', 60),
        ...wf('k2', '02', 180),
        ...wf('k3', '03', 300),
        run('k4', 'r', '04:00:00', 60),
        run('k4', 'p', '04:10:00', 60),
        run('k5', 's', '05:00:00', 60),
        run('k5', 't', '05:10:00', 60),
      ]),
    );
    expect(view.pairs).toEqual({
      count: 3,
      items: [
        // 60, 180, 300: median 180; p90 at rank 1.8: 180 + 120 x 0.8 = 276; total 540
        { from_agent: 'p', to_agent: 'r', count: 3, median_seconds: 180, p90_seconds: 276, total_seconds: 540 },
        { from_agent: 'r', to_agent: 'p', count: 1, median_seconds: 540, p90_seconds: 540, total_seconds: 540 },
        { from_agent: 's', to_agent: 't', count: 1, median_seconds: 540, p90_seconds: 540, total_seconds: 540 },
      ],
    });
  });

  it('filters by project and start time; --limit caps lists, not counts', () => {
    const state = fold([...w1, ...w2]);
    expect(q.gaps(state, { filter: { project: 'blog' } }).workflows.items.map((w) => w.workflow_id)).toEqual(['w2']);
    expect(q.gaps(state, { filter: { sinceUs: us(at('10:00:00.000001')) } }).coordination.workflows).toBe(1);
    const limited = q.gaps(state, { limit: 1 });
    expect(limited.workflows.count).toBe(2);
    expect(limited.workflows.items).toHaveLength(1);
    // a->b and b->c, in both workflows
    expect(limited.pairs.count).toBe(2);
    expect(limited.pairs.items).toHaveLength(1);
    expect(limited.coordination).toEqual(q.gaps(state).coordination);
    expect(q.gaps(state, { limit: 0 }).workflows.items).toEqual([]);
  });
});
