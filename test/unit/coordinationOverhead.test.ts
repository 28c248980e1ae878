import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, invocation, update, workflowStart } from '../support/events.js';

const PHASE3 = 'Consider Phase 3 (High coordination overhead)';
const MONITOR = 'Monitor overhead (Moderate coordination time)';
const STAY = 'Stay Phase 1-2 (Efficient coordination)';
const INSUFFICIENT = { coordination_overhead_pct: 0, recommendation: 'Insufficient data', avg_coordination_minutes: 0 };

const at = (hms: string): string => `2026-01-10T${hms}Z`;

/** wf1 in session S: start 10:00:00, complete 10:10:00 with 600 s. */
function wf1(duration = 600) {
  return [
    workflowStart({ workflowId: 'wf1', sessionId: 'S', timestamp: at('10:00:00') }),
    complete({ workflowId: 'wf1', sessionId: 'S', timestamp: at('10:10:00'), durationSeconds: duration }),
  ];
}

describe('overhead: joining invocations to workflows', () => {
  it('by workflow_id: truthy durations only; an id without a complete counts nowhere', () => {
    const state = fold([
      ...wf1(),
      invocation({ workflowId: 'wf1', durationSeconds: 200 }),
      invocation({ workflowId: 'wf1', durationSeconds: 100 }),
      invocation({ workflowId: 'wf1', durationSeconds: null }),
      invocation({ workflowId: 'wf1', durationSeconds: 0 }),
      // names a workflow with no complete, in wf1's session and interval: no fallback to the session join
      invocation({ workflowId: 'ghost', sessionId: 'S', timestamp: at('10:05:00'), durationSeconds: 500 }),
    ]);
    // agent 300 of 600: (600 - 300) / 600 x 100 = 50 > 30; 300 / 1 / 60 = 5 minutes
    expect(q.overhead(state)).toEqual({ coordination_overhead_pct: 50, recommendation: PHASE3, avg_coordination_minutes: 5, workflows_counted: 1 });
  });

  it('without workflow_id: same session, timestamp inside the interval, both ends inclusive', () => {
    const state = fold([
      ...wf1(),
      invocation({ sessionId: 'S', timestamp: at('10:00:00'), durationSeconds: 60 }),
      invocation({ sessionId: 'S', timestamp: at('10:10:00'), durationSeconds: 30 }),
      invocation({ sessionId: 'S', timestamp: at('09:59:59.999999'), durationSeconds: 1000 }),
      invocation({ sessionId: 'S', timestamp: at('10:10:00.000001'), durationSeconds: 1000 }),
      invocation({ sessionId: 'other', timestamp: at('10:05:00'), durationSeconds: 1000 }),
      invocation({ sessionId: null, timestamp: at('10:05:00'), durationSeconds: 1000 }),
      invocation({ sessionId: 'S', timestamp: 'not a time', durationSeconds: 1000 }),
    ]);
    // agent 60 + 30 = 90: (600 - 90) / 600 x 100 = 85; 510 / 60 = 8.5 minutes
    expect(q.overhead(state)).toMatchObject({ coordination_overhead_pct: 85, recommendation: PHASE3, avg_coordination_minutes: 8.5 });
  });

  it('timestamps with offsets are compared as instants', () => {
    // 11:05+01:00 is 10:05Z, inside [10:00Z, 10:10Z]
    const state = fold([...wf1(), invocation({ sessionId: 'S', timestamp: '2026-01-10T11:05:00+01:00', durationSeconds: 60 })]);
    // (600 - 60) / 600 x 100 = 90; 540 / 60 = 9
    expect(q.overhead(state)).toMatchObject({ coordination_overhead_pct: 90, avg_coordination_minutes: 9 });
  });

  it('a workflow without a start: its session is the complete\'s, its interval the duration before the complete', () => {
    const state = fold([
      complete({ workflowId: 'w', sessionId: 'S', timestamp: at('12:00:00'), durationSeconds: 300 }),
      invocation({ sessionId: 'S', timestamp: at('11:55:00'), durationSeconds: 100 }),
      invocation({ sessionId: 'S', timestamp: at('11:54:59.999999'), durationSeconds: 1000 }),
    ]);
    // interval [11:55:00, 12:00:00]: agent 100; (300 - 100) / 300 x 100 = 66.666.. -> 66.67; 200 / 60 = 3.33
    expect(q.overhead(state)).toMatchObject({ coordination_overhead_pct: 66.67, recommendation: PHASE3, avg_coordination_minutes: 3.33 });
  });

  it('with a start, the session is the start\'s even when the complete names another', () => {
    const state = fold([
      workflowStart({ workflowId: 'w', sessionId: 'S1', timestamp: at('10:00:00') }),
      complete({ workflowId: 'w', sessionId: 'S2', timestamp: at('10:10:00'), durationSeconds: 600 }),
      invocation({ sessionId: 'S1', timestamp: at('10:05:00'), durationSeconds: 60 }),
      invocation({ sessionId: 'S2', timestamp: at('10:05:00'), durationSeconds: 1000 }),
    ]);
    // agent 60: (600 - 60) / 600 = 90 %; 9 minutes
    expect(q.overhead(state)).toMatchObject({ coordination_overhead_pct: 90, avg_coordination_minutes: 9 });
  });

  it('a loose invocation counts for every workflow of its session whose interval holds it', () => {
    const state = fold([
      workflowStart({ workflowId: 'a', sessionId: 'S', timestamp: at('10:00:00') }),
      workflowStart({ workflowId: 'b', sessionId: 'S', timestamp: at('10:05:00') }),
      complete({ workflowId: 'a', sessionId: 'S', timestamp: at('10:10:00'), durationSeconds: 600 }),
      complete({ workflowId: 'b', sessionId: 'S', timestamp: at('10:15:00'), durationSeconds: 600 }),
      invocation({ sessionId: 'S', timestamp: at('10:07:00'), durationSeconds: 120 }),
    ]);
    // both hold 10:07: agent 120 + 120 = 240 of 1200: 960 / 1200 = 80 %; 960 / 2 workflows / 60 = 8
    expect(q.overhead(state)).toEqual({ coordination_overhead_pct: 80, recommendation: PHASE3, avg_coordination_minutes: 8, workflows_counted: 2 });
  });
});

describe('overhead: which workflows count', () => {
  it('sums over counted workflows (not a mean of percentages); zero-duration completes and zero agent time do not count', () => {
    const state = fold([
      complete({ workflowId: 'zero', durationSeconds: 0 }),
      invocation({ workflowId: 'zero', durationSeconds: 100 }),
      complete({ workflowId: 'idle', durationSeconds: 100 }),
      invocation({ workflowId: 'idle', durationSeconds: 0 }),
      complete({ workflowId: 'small', durationSeconds: 100 }),
      invocation({ workflowId: 'small', durationSeconds: 90 }),
      complete({ workflowId: 'big', durationSeconds: 900 }),
      invocation({ workflowId: 'big', durationSeconds: 450 }),
    ]);
    // small 100/90, big 900/450: (1000 - 540) / 1000 = 46 % (mean of 10 % and 50 % would be 30)
    // 460 / 2 / 60 = 3.833.. -> 3.83
    expect(q.overhead(state)).toEqual({ coordination_overhead_pct: 46, recommendation: PHASE3, avg_coordination_minutes: 3.83, workflows_counted: 2 });
  });

  it('recommendation thresholds: 20 % monitors, 10 % stays', () => {
    const monitor = fold([complete({ workflowId: 'w', durationSeconds: 100 }), invocation({ workflowId: 'w', durationSeconds: 80 })]);
    // (100 - 80) / 100 = 20 % > 15; 20 / 60 = 0.333.. -> 0.33
    expect(q.overhead(monitor)).toMatchObject({ coordination_overhead_pct: 20, recommendation: MONITOR, avg_coordination_minutes: 0.33 });
    const stay = fold([complete({ workflowId: 'w', durationSeconds: 100 }), invocation({ workflowId: 'w', durationSeconds: 90 })]);
    // 10 % <= 15; 10 / 60 = 0.1666.. -> 0.17
    expect(q.overhead(stay)).toMatchObject({ coordination_overhead_pct: 10, recommendation: STAY, avg_coordination_minutes: 0.17 });
  });

  it('two completes: the last one gives duration and interval end; the last start gives the interval start', () => {
    const lastComplete = fold([
      workflowStart({ workflowId: 'w', sessionId: 'S', timestamp: at('10:00:00') }),
      complete({ workflowId: 'w', sessionId: 'S', timestamp: at('10:10:00'), durationSeconds: 600 }),
      complete({ workflowId: 'w', sessionId: 'S', timestamp: at('10:20:00'), durationSeconds: 1200 }),
      invocation({ sessionId: 'S', timestamp: at('10:15:00'), durationSeconds: 300 }),
    ]);
    // (1200 - 300) / 1200 = 75 %; 900 / 60 = 15
    expect(q.overhead(lastComplete)).toMatchObject({ coordination_overhead_pct: 75, avg_coordination_minutes: 15 });
    const lastStart = fold([
      workflowStart({ workflowId: 'w', sessionId: 'S', timestamp: at('10:00:00') }),
      workflowStart({ workflowId: 'w', sessionId: 'S', timestamp: at('10:05:00') }),
      complete({ workflowId: 'w', sessionId: 'S', timestamp: at('10:10:00'), durationSeconds: 600 }),
      invocation({ sessionId: 'S', timestamp: at('10:02:00'), durationSeconds: 1000 }),
      invocation({ sessionId: 'S', timestamp: at('10:06:00'), durationSeconds: 60 }),
    ]);
    // interval [10:05, 10:10]: agent 60 -> 90 %, 9 minutes
    expect(q.overhead(lastStart)).toMatchObject({ coordination_overhead_pct: 90, avg_coordination_minutes: 9 });
  });

  it('a complete before its start gives the same answer', () => {
    const [start, done] = wf1();
    const loose = invocation({ sessionId: 'S', timestamp: at('10:05:00'), durationSeconds: 60 });
    expect(q.overhead(fold([done!, loose, start!]))).toEqual(q.overhead(fold([start!, done!, loose])));
    expect(q.overhead(fold([done!, loose, start!]))).toMatchObject({ coordination_overhead_pct: 90 });
  });

  it('replacement: an updated duration and a dropped workflow_id are re-joined', () => {
    const i1 = invocation({ workflowId: 'wf1', sessionId: 'S', timestamp: at('10:05:00'), status: 'unknown', durationSeconds: null });
    // unknown, no duration: no agent time yet
    expect(q.overhead(fold([...wf1(), i1]))).toEqual({ ...INSUFFICIENT, workflows_counted: 0 });
    // updated with 200 s: (600 - 200) / 600 = 66.666.. -> 66.67; 400 / 60 = 6.67
    const done = update(i1, { status: 'success', durationSeconds: 200 });
    expect(q.overhead(fold([...wf1(), i1, done]))).toMatchObject({ coordination_overhead_pct: 66.67, avg_coordination_minutes: 6.67 });
    // without workflow_id, still inside wf1's session and interval: the same
    expect(q.overhead(fold([...wf1(), i1, done, update(done, { workflowId: null })]))).toMatchObject({ coordination_overhead_pct: 66.67 });
    // moved to another session: nothing counts
    expect(q.overhead(fold([...wf1(), i1, done, update(done, { workflowId: null, sessionId: 'T' })]))).toMatchObject(INSUFFICIENT);
  });
});

describe('overhead: insufficient data', () => {
  it('no events, no invocations, no workflow events, or no counted workflow', () => {
    expect(q.overhead(fold([]))).toMatchObject(INSUFFICIENT);
    expect(q.overhead(fold(wf1()))).toMatchObject(INSUFFICIENT);
    expect(q.overhead(fold([invocation({ workflowId: 'wf1', durationSeconds: 100 })]))).toMatchObject(INSUFFICIENT);
    expect(q.overhead(fold([workflowStart({ workflowId: 'open' }), invocation({ workflowId: 'open', durationSeconds: 100 })]))).toMatchObject(INSUFFICIENT);
  });
});
