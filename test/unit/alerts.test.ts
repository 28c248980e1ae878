import { describe, expect, it } from 'vitest';
import { checkAlerts, type AlertSettings } from '../../src/queries/alerts.js';
import { complete, fold, invocation } from '../support/events.js';

const SETTINGS: AlertSettings = {
  overhead: { thresholdPct: 30, hysteresisPct: 2, window: 2 },
  openWorkflow: { maxAgeHours: 1e6 },
  agentSuccess: { floor: 0, minRuns: 1e6, window: 20 },
};
const NOW = Date.parse('2026-01-10T12:00:00Z') * 1000;

const overheadCheck = (events: Parameters<typeof fold>[0]) => {
  const check = checkAlerts(fold(events), SETTINGS, NOW).find((c) => c.alert === 'coordination_overhead');
  if (check === undefined) throw new Error('no overhead check');
  return { raise: check.raise, clear: check.clear };
};

/** A 1000 s workflow with `agentSeconds` inside one agent, completing at `at`. */
const workflow = (id: string, at: string, agentSeconds: number) => [
  invocation({ workflowId: id, durationSeconds: agentSeconds, timestamp: at }),
  complete({ workflowId: id, timestamp: at, durationSeconds: 1000 }),
];

describe('checkAlerts: coordination overhead', () => {
  it('raises above the threshold and clears only below threshold - hysteresis', () => {
    expect(overheadCheck(workflow('w1', '2026-01-10T10:00:00Z', 100))).toEqual({ raise: true, clear: false }); // 90%
    expect(overheadCheck(workflow('w1', '2026-01-10T10:00:00Z', 710))).toEqual({ raise: false, clear: false }); // 29%
    expect(overheadCheck(workflow('w1', '2026-01-10T10:00:00Z', 750))).toEqual({ raise: false, clear: true }); // 25%
  });

  it('holds (neither raises nor clears) while the window has completes but no agent time yet', () => {
    // given a slow workflow, then a newer complete whose invocations are not read yet
    const events = [...workflow('w1', '2026-01-10T10:00:00Z', 100), complete({ workflowId: 'w2', timestamp: '2026-01-10T11:00:00Z', durationSeconds: 1000 }), complete({ workflowId: 'w3', timestamp: '2026-01-10T11:30:00Z', durationSeconds: 1000 })];
    // then the window (w2, w3) counts nothing: no evidence either way
    expect(overheadCheck(events)).toEqual({ raise: false, clear: false });
  });

  it('clears when there is no completed workflow at all (the files were truncated)', () => {
    expect(overheadCheck([invocation({ workflowId: 'w1', durationSeconds: 10 })])).toEqual({ raise: false, clear: true });
  });
});
