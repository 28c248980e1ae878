/**
 * The coordination-overhead alert of the live daemon: edge-triggered over the last N completed
 * workflows (N = 5 here through --config), one warn line when it rises above 30%, one info line
 * when it falls below 28%, the same in alerts.jsonl and in the snapshot's alerts.active.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/queries/snapshot.js';
import {
  daemonDirsPerTest,
  type DaemonProcess,
  INFO,
  type LogLine,
  readJsonLines,
  startDaemon,
  tempDir,
  WARN,
  waitForReplayParity,
} from '../support/daemonHarness.js';
import { Workload, type WorkflowSpec } from '../support/telemetryWorkload.js';

const dirs = daemonDirsPerTest();

const CONFIG = { alerts: { overhead: { window: 5 } } };
/** 1000 s workflows with 100 s inside agents: 90% coordination overhead. */
const SLOW: WorkflowSpec = { agents: 2, workflowSeconds: 1000, agentSeconds: 50, failEvery: 0 };
/** 29%: under the 30% threshold, but not under 28%, so a firing alert stays. */
const BORDERLINE: WorkflowSpec = { agents: 2, workflowSeconds: 1000, agentSeconds: 355, failEvery: 0 };
/** All the time inside agents: 0%. */
const EFFICIENT: WorkflowSpec = { agents: 2, workflowSeconds: 100, agentSeconds: 50, failEvery: 0 };

const overheadLines = (d: DaemonProcess, level: number): LogLine[] =>
  d.logs.filter((l) => l.level === level && l.alert === 'coordination_overhead');
const activeOverhead = (s: Snapshot) => s.alerts.active.filter((a) => a.alert === 'coordination_overhead');
const alertRecords = (d: DaemonProcess) =>
  readJsonLines(path.join(d.stateDir, 'alerts.jsonl')).filter((r) => r.alert === 'coordination_overhead');

describe('daemon: coordination overhead alert', () => {
  it('raised once when the window passes 30%, kept at 29% and 28.29%, resolved once below 28%', async () => {
    const dir = tempDir();
    dirs.track(dir);
    const work = new Workload(dir, 'alert');
    work.workflows(2, EFFICIENT);
    const daemon = await startDaemon({ dir, config: CONFIG });
    const { snapshot: quiet } = await waitForReplayParity(daemon);
    expect(quiet.alerts.active).toEqual([]);

    // Rising: one slow workflow is enough (window [E, E, S]: 75%); the following ones keep it
    // above the threshold and must not log again. Each is waited for, so each is evaluated.
    for (let i = 0; i < 6; i++) {
      work.workflow(SLOW);
      const { snapshot } = await waitForReplayParity(daemon, { extra: (s) => activeOverhead(s).length === 1 });
      expect(activeOverhead(snapshot)[0]?.details.overhead_pct).toBeGreaterThan(30);
    }
    const raised = overheadLines(daemon, WARN);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ alert: 'coordination_overhead', overhead_pct: 75, threshold_pct: 30, window: 5 });
    expect(raised[0]?.start_up).toBeUndefined();
    expect(Array.isArray(raised[0]?.top_contributors)).toBe(true);

    // Between 28% and 30%: below the threshold, but within the hysteresis: still firing.
    for (let i = 0; i < 5; i++) work.workflow(BORDERLINE);
    const { snapshot: borderline } = await waitForReplayParity(daemon);
    expect(activeOverhead(borderline)).toHaveLength(1);
    expect(activeOverhead(borderline)[0]?.details.overhead_pct).toBe(29);
    expect(overheadLines(daemon, INFO)).toEqual([]);

    // Falling, one efficient workflow at a time: [M, M, M, M, E] is 28.29%, not yet under 28%;
    // [M, M, M, E, E] is 27.19%: resolved, once; further efficient ones change nothing.
    work.workflow(EFFICIENT);
    const { snapshot: stillFiring } = await waitForReplayParity(daemon);
    expect(activeOverhead(stillFiring)[0]?.details.overhead_pct).toBe(28.29);
    work.workflow(EFFICIENT);
    const { snapshot: resolved } = await waitForReplayParity(daemon, { extra: (s) => activeOverhead(s).length === 0 });
    expect(resolved.alerts.active).toEqual([]);
    work.workflows(3, EFFICIENT);
    await waitForReplayParity(daemon);
    await daemon.stop();

    expect(overheadLines(daemon, WARN)).toHaveLength(1);
    const cleared = overheadLines(daemon, INFO);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatchObject({ alert: 'coordination_overhead', resolved: true, overhead_pct: 27.19, threshold_pct: 30, window: 5 });
    expect(alertRecords(daemon).map((r) => r.event)).toEqual(['raised', 'resolved']);
  });

  it('history caught up at start-up logs the current state once, and a restart does not log it again', async () => {
    const dir = tempDir();
    dirs.track(dir);
    const work = new Workload(dir, 'history');
    // Crossed up, down and up again before the daemon ever ran.
    work.workflows(5, SLOW);
    work.workflows(5, EFFICIENT);
    work.workflows(5, SLOW);

    const first = await startDaemon({ dir, config: CONFIG });
    const { snapshot } = await waitForReplayParity(first);
    expect(activeOverhead(snapshot)).toHaveLength(1);
    expect(overheadLines(first, WARN)).toHaveLength(1);
    expect(overheadLines(first, WARN)[0]).toMatchObject({ overhead_pct: 90, start_up: true });
    expect(overheadLines(first, INFO)).toEqual([]);
    await first.stop();

    const second = await startDaemon({ dir, config: CONFIG });
    const { snapshot: again } = await waitForReplayParity(second);
    expect(activeOverhead(again)).toHaveLength(1);
    expect(overheadLines(second, WARN)).toEqual([]);
    expect(overheadLines(second, INFO)).toEqual([]);
    expect(alertRecords(second).map((r) => r.event)).toEqual(['raised']);
    await second.stop();
  });
});
