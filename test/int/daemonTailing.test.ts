/**
 * The live daemon follows the files: each scenario runs the real daemon as a process on a real
 * temp dir, changes the files the way writers do, and ends with snapshot == batch replay of the
 * files as they are now.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES, type SourceKind } from '../../src/domain/sources.js';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import {
  daemonDirsPerTest,
  fixtureDir,
  readJsonLines,
  replayFigures,
  startDaemon,
  tempDir,
  waitForReplayParity,
  waitUntil,
} from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const dirs = daemonDirsPerTest();

const track = (dir: string): string => dirs.track(dir);

const file = (dir: string, kind: SourceKind) => path.join(dir, SOURCE_FILES[kind]);

/** The reference logger's update_invocation: read every line, change one record, write the whole file back. */
function updateInPlace(dir: string, lineIndex: number, change: (line: string) => string): void {
  const lines = fs.readFileSync(file(dir, 'invocations'), 'utf8').split('\n').filter((l) => l !== '');
  lines[lineIndex] = change(lines[lineIndex] as string);
  fs.writeFileSync(file(dir, 'invocations'), lines.map((l) => l + '\n').join(''));
}

describe('daemon: following the files', () => {
  it('data present before start: snapshot and performance_stats.json equal the batch replay', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    const { snapshot, replay } = await waitForReplayParity(daemon);
    expect(snapshot.stats.total_invocations).toBeGreaterThan(100);
    expect(snapshot.health.rebuilds).toBe(0);
    expect(snapshot.schema_version).toBe(1);
    expect(snapshot.dir).toBe(dir);
    expect(daemon.logsWith('starting from the beginning of the files')).toHaveLength(1);

    // performance_stats.json, as the reference analyzer writes it: {generated_at, ...stats}.
    const perfPath = path.join(dir, 'performance_stats.json');
    const perf = () => JSON.parse(fs.readFileSync(perfPath, 'utf8')) as Record<string, unknown>;
    await waitUntil(() => fs.existsSync(perfPath) && perf().generated_at === daemon.readSnapshot()?.generated_at, 5000, 'performance_stats.json');
    const latest = daemon.readSnapshot();
    expect(perf()).toEqual({ generated_at: latest?.generated_at, ...(replay.stats as object) });
    expect(Object.keys(perf())[0]).toBe('generated_at');

    await daemon.stop();
    // The final snapshot written at shutdown still says the same.
    await waitForReplayParity(daemon, { timeoutMs: 1 });
  });

  it('appends in bursts of hundreds of lines, replacement records included', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);
    const work = new Workload(dir);
    let applied = daemon.last?.health.events_applied ?? 0;
    for (let burst = 0; burst < 3; burst++) {
      work.workflows(40); // 40 x 13 = 520 lines
      // A later record with the same invocation_id replaces the earlier one.
      for (const id of work.invocationIds.slice(burst * 10, burst * 10 + 10)) work.reupdate(id, 500 + burst, 'partial');
      const { snapshot } = await waitForReplayParity(daemon);
      expect(snapshot.health.events_applied).toBe(applied + 530);
      applied = snapshot.health.events_applied;
      expect(snapshot.health.rebuilds).toBe(0);
    }
    await daemon.stop();
  });

  it('a line written in two parts with a pause: nothing is applied until its newline', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    const { snapshot: before } = await waitForReplayParity(daemon);

    const record = JSON.parse(fs.readFileSync(file(dir, 'invocations'), 'utf8').split('\n')[0] as string) as Record<string, unknown>;
    record.invocation_id = 'two-part-invocation';
    record.task_description = 'split right inside a multi-byte character: é';
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    const cut = line.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of "é"
    const sizeBefore = fs.statSync(file(dir, 'invocations')).size;
    fs.appendFileSync(file(dir, 'invocations'), line.subarray(0, cut));
    // A partial line changes no figure, so no snapshot tells when the daemon has read it. Give it
    // complete lines elsewhere, one at a time, each awaited in a snapshot, until one shows the
    // partial line seen (lag); every one of them must show it not applied. Its watcher or its
    // safety poll (200 ms) reads the partial line within a few rounds; the cap only bounds a failure.
    let partial: Snapshot;
    let metrics = 0;
    do {
      metrics++;
      const metric = { timestamp: '2026-11-21T00:00:00.000000Z', invocation_id: record.invocation_id, success: true, quality_rating: 1 + (metrics % 5) };
      appendLine(file(dir, 'metrics'), JSON.stringify(metric));
      partial = await daemon.waitFor((s) => s.health.events_applied === before.health.events_applied + metrics, 5000, 'the metrics line applied');
      expect(partial.health.lines_rejected).toBe(0);
      expect(partial.stats.total_invocations).toBe(before.stats.total_invocations);
      expect(partial.sources?.invocations.offset).toBe(sizeBefore);
    } while (partial.health.lag_bytes !== cut && metrics < 100);
    expect(partial.health.lag_bytes).toBe(cut);
    // Batch replay also leaves an unfinished last line out: the figures already agree.
    const replayNow = replayFigures(dir);
    expect({ stats: partial.stats, workflows: partial.workflows, overhead: partial.overhead }).toEqual({
      stats: replayNow.stats,
      workflows: replayNow.workflows,
      overhead: replayNow.overhead,
    });

    fs.appendFileSync(file(dir, 'invocations'), line.subarray(cut));
    const { snapshot: after } = await waitForReplayParity(daemon);
    expect(after.stats.total_invocations).toBe(before.stats.total_invocations + 1);
    expect(after.health.lines_rejected).toBe(0);
    expect(readJsonLines(path.join(daemon.stateDir, 'rejected.jsonl'))).toEqual([]);
    await daemon.stop();
  });

  it('files created after start are picked up', async () => {
    const dir = track(tempDir());
    const daemon = await startDaemon({ dir });
    const { snapshot: empty } = await waitForReplayParity(daemon);
    expect(empty.stats.total_invocations).toBe(0);

    // The workflow events file first, then the others, as a first workflow would.
    appendLine(file(dir, 'workflow_events'), JSON.stringify({ timestamp: '2026-11-20T00:00:00.000000Z', event: 'workflow_start', workflow_id: 'first', session_id: 's', project_name: 'P', agent_plan: ['a'] }));
    await waitForReplayParity(daemon);
    new Workload(dir).workflows(5);
    const { snapshot } = await waitForReplayParity(daemon);
    expect(snapshot.stats.total_invocations).toBe(15);
    expect(snapshot.workflows.total_workflows).toBe(5);
    await daemon.stop();
  });

  it('a file deleted and created again: its contribution goes, then the new file is followed', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);

    fs.rmSync(file(dir, 'invocations'));
    const { snapshot: gone } = await waitForReplayParity(daemon);
    expect(gone.stats.total_invocations).toBe(0);
    expect(gone.health.rebuilds).toBeGreaterThanOrEqual(1);

    const work = new Workload(dir, 'recreated');
    work.workflows(4);
    const { snapshot: recreated } = await waitForReplayParity(daemon);
    expect(recreated.stats.total_invocations).toBe(12);

    // Deleted and recreated at once, smaller than before, with no pause for the daemon to see the gap.
    const metricsBefore = fs.readFileSync(file(dir, 'metrics'), 'utf8').split('\n').filter((l) => l !== '');
    fs.rmSync(file(dir, 'metrics'));
    fs.writeFileSync(file(dir, 'metrics'), metricsBefore.slice(-3).map((l) => l + '\n').join(''));
    const { snapshot: swapped } = await waitForReplayParity(daemon, { extra: (s) => s.health.rebuilds > recreated.health.rebuilds });
    expect(swapped.health.rebuilds).toBeGreaterThan(recreated.health.rebuilds);
    await daemon.stop();
  });

  it("the invocations file rewritten in place by the reference's update pattern", async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);
    const lines = fs.readFileSync(file(dir, 'invocations'), 'utf8').split('\n').filter((l) => l !== '');

    // 1. The reference's own sequence: log_invocation appends a record with no outcome yet,
    //    update_invocation rewrites the whole file with the outcome filled in (the file grows).
    type InvocationLine = { invocation_id: string; duration_seconds: number | null; outcome: Record<string, unknown> };
    const fresh = JSON.parse(lines[0] as string) as InvocationLine;
    fresh.invocation_id = 'updated-in-place';
    fresh.duration_seconds = null;
    fresh.outcome = { ...fresh.outcome, status: 'unknown' };
    appendLine(file(dir, 'invocations'), JSON.stringify(fresh));
    await waitForReplayParity(daemon);
    updateInPlace(dir, lines.length, (line) => {
      const r = JSON.parse(line) as InvocationLine;
      r.duration_seconds = 1234.5;
      r.outcome = { ...r.outcome, status: 'failure', error_message: 'it broke' };
      return JSON.stringify(r);
    });
    // A changed record of a file whose ids stay in order is applied as a change, not a rebuild.
    const { snapshot: first } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) > 0 });
    expect(first.health.rewrites_as_changes).toBe(1);
    expect(first.health.rebuilds).toBe(0);

    // 2. A record in the middle changes its status without changing the file's size ("success"
    //    and "failure" have the same length; the other lines are written back byte for byte).
    const middle = lines.findIndex((l, i) => i >= lines.length / 2 && l.includes('"status": "success"'));
    expect(middle).toBeGreaterThan(0);
    const sizeBefore = fs.statSync(file(dir, 'invocations')).size;
    updateInPlace(dir, middle, (line) => line.replace('"status": "success"', '"status": "failure"'));
    expect(fs.statSync(file(dir, 'invocations')).size).toBe(sizeBefore);
    const { snapshot: second } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) > 1 });
    expect(second.health.rewrites_as_changes).toBe(2);
    expect(second.health.rebuilds).toBe(0);
    expect(daemon.logsWith(/applied as changes, no rebuild/)).toHaveLength(2);
    await daemon.stop();
  });

  it('a file truncated to empty, then written again', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    const { snapshot: before } = await waitForReplayParity(daemon);
    expect(before.workflows.total_workflows).toBeGreaterThan(0);

    fs.truncateSync(file(dir, 'workflow_events'), 0);
    const { snapshot: truncated } = await waitForReplayParity(daemon);
    expect(truncated.workflows.total_workflows).toBe(0);
    expect(truncated.health.rebuilds).toBeGreaterThan(0);

    fs.writeFileSync(file(dir, 'invocations'), '');
    const { snapshot: both } = await waitForReplayParity(daemon, { extra: (s) => s.health.rebuilds > truncated.health.rebuilds });
    expect(both.stats.total_invocations).toBe(0);

    new Workload(dir).workflows(6);
    const { snapshot: again } = await waitForReplayParity(daemon);
    expect(again.workflows.total_workflows).toBe(6);
    await daemon.stop();
  });
});
