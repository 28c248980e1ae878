/**
 * No figure of the workflow views depends on the order workflows were first seen in (which
 * decides their internal numbers): ties are broken by name or id. Given workflows on a coarse
 * grid (so equal gaps, ratios and durations are common), when folded once with invocations first
 * (their workflows in reverse) and once with workflow events first, then every view is identical.
 * What may legitimately matter is kept the same: the workflow file's order (hand-off chains,
 * "newest first") and each workflow's own invocation order (ties in time keep file order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/domain/events.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { complete, fold, handoff, invocation, workflowStart } from '../support/events.js';

const AGENTS = ['a', 'b', 'c', '__proto__'];
const T0 = Date.parse('2026-01-10T00:00:00Z');
const minute = (m: number): string => new Date(T0 + m * 60_000).toISOString();

const workflowArb = fc.record({
  project: fc.constantFrom('shop', 'blog', null),
  plan: fc.subarray(AGENTS),
  estimate: fc.constantFrom(null, 0, 600, 1200),
  start: fc.integer({ min: 0, max: 3 }).map((h) => h * 60),
  runs: fc.array(
    fc.record({
      agent: fc.constantFrom(...AGENTS),
      at: fc.integer({ min: 0, max: 8 }),
      duration: fc.constantFrom(null, 0, 60, 120),
      status: fc.constantFrom('success', 'failure', 'unknown') as fc.Arbitrary<'success' | 'failure' | 'unknown'>,
    }),
    { maxLength: 5 },
  ),
  handoffs: fc.array(fc.tuple(fc.constantFrom(...AGENTS, null), fc.constantFrom(...AGENTS, null)), { maxLength: 3 }),
  end: fc.option(fc.record({ after: fc.integer({ min: 0, max: 12 }), success: fc.boolean() }), { nil: null }),
});

const scenarioArb = fc.uniqueArray(fc.tuple(fc.constantFrom('w0', 'w1', 'w2', 'w3', 'w4', 'w5'), workflowArb), {
  minLength: 2,
  maxLength: 6,
  selector: ([id]) => id,
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function invocationsOf([workflowId, wf]: Scenario[number]): TelemetryEvent[] {
  return wf.runs.map((r, i) =>
    invocation({ invocationId: `${workflowId}-${i}`, workflowId, agentName: r.agent, timestamp: minute(wf.start + r.at), durationSeconds: r.duration, status: r.status }),
  );
}

function workflowEventsOf([workflowId, wf]: Scenario[number]): TelemetryEvent[] {
  const events: TelemetryEvent[] = [
    workflowStart({ workflowId, projectName: wf.project, agentPlan: wf.plan, estimatedDuration: wf.estimate, timestamp: minute(wf.start) }),
    ...wf.handoffs.map(([fromAgent, toAgent]) => handoff({ workflowId, fromAgent, toAgent, timestamp: minute(wf.start + 1) })),
  ];
  if (wf.end !== null) {
    const seconds = (8 + wf.end.after) * 60;
    events.push(complete({ workflowId, durationSeconds: seconds, success: wf.end.success, agentsExecuted: wf.runs.map((r) => r.agent), timestamp: minute(wf.start + 8 + wf.end.after) }));
  }
  return events;
}

function views(events: readonly TelemetryEvent[]) {
  const state = fold(events);
  return [{}, { filter: { project: 'shop' } }, { limit: 2 }].map((args) => ({
    handoffs: q.handoffs(state, args),
    gaps: q.gaps(state, args),
    estimates: q.estimates(state, args),
    bottlenecks: q.bottlenecks(state, { ...args, thresholdPct: 25 }),
  }));
}

describe('workflow views do not depend on first-seen order', () => {
  it('invocations first (their workflows in reverse), or workflow events first: the same answers', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const workflowFile = scenario.flatMap(workflowEventsOf);
        // workflow numbers: by the reversed invocation file in one, by the workflow file in the other
        const invocationsFirst = [...[...scenario].reverse().flatMap(invocationsOf), ...workflowFile];
        const eventsFirst = [...workflowFile, ...scenario.flatMap(invocationsOf)];
        expect(views(eventsFirst)).toEqual(views(invocationsFirst));
      }),
      { numRuns: 200 },
    );
  });
});
