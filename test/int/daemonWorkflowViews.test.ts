/**
 * The workflow views of the live daemon (snapshot sections handoffs, gaps, estimates and
 * bottlenecks, current in every snapshot) and its estimate_overrun notice. The real
 * daemon runs as a process on a temp dir; every check waits on the snapshot or the log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import * as bottleneckView from '../../src/projections/views/bottlenecks.js';
import * as q from '../../src/queries/telemetryQueries.js';
import * as coordinationGaps from '../../src/projections/views/coordinationGaps.js';
import * as estimateAccuracy from '../../src/projections/views/estimateAccuracy.js';
import * as handoffsView from '../../src/projections/views/handoffs.js';
import {
  daemonDirsPerTest,
  type DaemonProcess,
  fixtureDir,
  INFO,
  readJsonLines,
  startDaemon,
  tempDir,
  WaitFailed,
  waitForReplayParity,
} from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const dirs = daemonDirsPerTest();

const track = (dir: string): string => dirs.track(dir);

// Not the defaults (50, 30%): a daemon that ignored its settings would not match the replay.
const LIST_LIMIT = 4;
const THRESHOLD_PCT = 25;
/** Workflows appended live, each awaited in a snapshot. */
const BURST = 6;
const CONFIG = { snapshotListLimit: LIST_LIMIT, alerts: { overhead: { thresholdPct: THRESHOLD_PCT } } };

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const viewsOf = (s: Snapshot) => ({ handoffs: s.handoffs, gaps: s.gaps, estimates: s.estimates, bottlenecks: s.bottlenecks });

/**
 * The four views of a batch replay of the files as they are now, as the daemon is configured,
 * by the walk over every invocation (not the live-views fold the daemon reads).
 */
function replayViews(dir: string) {
  const { state } = replayDirectory(dir);
  const { ledger, timings, details, overhead } = state;
  const figures = coordinationGaps.workflowGapFigures(ledger, timings, details, {});
  return json({
    handoffs: handoffsView.query(ledger, timings, details, {}, LIST_LIMIT),
    gaps: coordinationGaps.query(ledger, timings, details, {}, LIST_LIMIT, figures),
    estimates: estimateAccuracy.query(ledger, timings, details, {}, LIST_LIMIT),
    bottlenecks: bottleneckView.query(ledger, overhead, timings, details, figures, { filter: {}, limit: LIST_LIMIT, thresholdPct: THRESHOLD_PCT }),
  });
}

/**
 * Waits until the snapshot's views equal a replay of the files; on timeout, the diff. Equal values are enough: every workflow the tests
 * append adds an estimate, so views computed before the last append cannot equal the replay.
 */
async function waitForViewsParity(daemon: DaemonProcess): Promise<Snapshot> {
  const expected = replayViews(daemon.dir);
  try {
    return await daemon.waitFor((s) => isDeepStrictEqual(viewsOf(s), expected), 10_000, 'workflow views == batch replay');
  } catch (error) {
    if (error instanceof WaitFailed && error.lastSnapshot !== null) expect(viewsOf(error.lastSnapshot), error.message).toEqual(expected);
    throw error;
  }
}

const overrunNotices = (d: DaemonProcess) => d.logs.filter((l) => l.alert === 'estimate_overrun');

describe('daemon: hand-offs, gaps, estimates and bottlenecks in the snapshot', () => {
  it('equal a batch replay, for data present at start and in the first snapshot that applied each live append', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, config: CONFIG });
    const atStart = await waitForViewsParity(daemon);
    // The fixture fills every section, and the lists are cut at the configured limit.
    expect(atStart.handoffs.pairs.count).toBeGreaterThan(LIST_LIMIT);
    expect(atStart.handoffs.pairs.items).toHaveLength(LIST_LIMIT);
    expect(atStart.estimates.worst.count).toBeGreaterThan(LIST_LIMIT);
    expect(atStart.gaps.transitions).toBeGreaterThan(0);
    expect(atStart.bottlenecks.over_threshold.threshold_pct).toBe(THRESHOLD_PCT);

    // A burst of workflows with plans, hand-offs and estimates (some overrun them): the snapshot
    // that has applied each one carries views of that same state, as of its own time (no
    // refresh interval for them to trail by).
    const work = new Workload(dir, 'burst');
    let last = atStart;
    for (let written = 1; written <= BURST; written++) {
      work.workflow({ agents: 2 + (written % 3), estimateSeconds: 40 + (written % 6) * 20, failEvery: 3 });
      last = (await waitForReplayParity(daemon)).snapshot;
      expect(viewsOf(last), `after workflow ${written}`).toEqual(replayViews(dir));
      expect(last.workflow_views_as_of).toBe(last.generated_at);
    }
    expect(last.handoffs.handoffs).toBeGreaterThan(atStart.handoffs.handoffs);
    expect(last.estimates.worst.count).toBe(atStart.estimates.worst.count + BURST);

    await daemon.stop();
    // The final snapshot at shutdown carries views of the final state.
    expect(viewsOf(daemon.readSnapshot()!)).toEqual(replayViews(dir));
  });
});

describe('daemon: estimate_overrun notice', () => {
  it('one info line for a workflow completing live at more than 2x its estimate; none at 1.5x or 2x, none for history', async () => {
    const dir = track(tempDir());
    // History: an overrun (4x) and one on time, both before the daemon starts.
    const history = new Workload(dir, 'history');
    history.workflow({ estimateSeconds: 50, workflowSeconds: 200 });
    history.workflow({ estimateSeconds: 200, workflowSeconds: 200 });
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);
    expect(overrunNotices(daemon)).toEqual([]);

    const live = new Workload(dir, 'live');
    live.workflow({ estimateSeconds: 100, workflowSeconds: 150 }); // 1.5x
    live.workflow({ estimateSeconds: 100, workflowSeconds: 200 }); // 2x: not more than 2x
    live.workflow({ estimateSeconds: 100, workflowSeconds: 99 }); // under
    live.workflow({ workflowSeconds: 5000 }); // no estimate
    const over = live.workflow({ estimateSeconds: 80, workflowSeconds: 200 }); // 2.5x, written last
    // Notices are logged in file order, so once this one is out, any for the others would be too.
    await daemon.waitForLog((l) => l.alert === 'estimate_overrun' && l.workflow_id === over, 10_000, 'the overrun notice');
    await waitForReplayParity(daemon);
    // The batch view of the same workflow (the snapshot's views may still trail by a second).
    const seen = q.estimates(replayDirectory(dir).state).worst.items.find((w) => w.workflow_id === over);
    expect(overrunNotices(daemon)).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: 'alert: estimate_overrun',
        alert: 'estimate_overrun',
        workflow_id: over,
        project: seen?.project,
        estimate_seconds: 80,
        actual_seconds: 200,
        ratio: 2.5,
      }),
    ]);
    expect(seen?.ratio).toBe(2.5);
    // The same path as the alerts: a record in alerts.jsonl (it has no state to resolve, so none in alerts.active).
    expect(readJsonLines(path.join(daemon.stateDir, 'alerts.jsonl')).filter((r) => r.alert === 'estimate_overrun')).toEqual([
      expect.objectContaining({ event: 'notice', key: `estimate_overrun:${over}`, details: expect.objectContaining({ workflow_id: over, ratio: 2.5 }) }),
    ]);

    // A rebuild reads the files from the start again: history, not news.
    const invocations = path.join(dir, SOURCE_FILES.invocations);
    const lines = fs.readFileSync(invocations, 'utf8').split('\n');
    const edited = lines[0]!.replace(/"duration_seconds": (null|[0-9.]+)/, '"duration_seconds": 1234.5');
    expect(edited).not.toBe(lines[0]);
    lines[0] = edited;
    fs.writeFileSync(invocations, lines.join('\n'));
    await waitForReplayParity(daemon, { extra: (s) => s.health.rebuilds > 0 });
    // ...and notices go on after it.
    const afterRebuild = live.workflow({ estimateSeconds: 60, workflowSeconds: 180 }); // 3x
    await daemon.waitForLog((l) => l.alert === 'estimate_overrun' && l.workflow_id === afterRebuild, 10_000, 'the notice after the rebuild');
    await waitForReplayParity(daemon);
    expect(overrunNotices(daemon).map((l) => [l.workflow_id, l.ratio])).toEqual([
      [over, 2.5],
      [afterRebuild, 3],
    ]);
    await daemon.stop();

    // Written while no daemon ran: a restart catches up on it silently (from the checkpoint).
    live.workflow({ estimateSeconds: 10, workflowSeconds: 100 });
    const restarted = await startDaemon({ dir });
    await waitForReplayParity(restarted);
    expect(restarted.logsWith('resuming from checkpoint')).toHaveLength(1);
    expect(overrunNotices(restarted)).toEqual([]);
    await restarted.stop();
  });
});
