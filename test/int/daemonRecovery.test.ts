/**
 * Stopping and starting the daemon: kill -9 in the middle of a burst, SIGTERM, a second daemon
 * on the same state dir, and the CLI answering from the daemon's checkpoint. After every
 * restart the snapshot equals the batch replay again: nothing lost, nothing counted twice.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/decode/decodeLine.js';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import { loadCheckpoint } from '../../src/io/checkpointStore.js';
import { readToEnd, resume } from '../../src/io/resume.js';
import {
  CLI,
  daemonDirsPerTest,
  delay,
  expectRejectedLogMatchesReplay,
  fixtureDir,
  readJsonLines,
  replayFigures,
  startDaemon,
  tempDir,
  waitForReplayParity,
  waitUntil,
} from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const run = promisify(execFile);

const dirs = daemonDirsPerTest();

const track = (dir: string): string => dirs.track(dir);

/** A bad line every so often, so that rejected.jsonl has to survive the crash too. */
/** Lines applied and rejected as of the checkpoint on disk. */
function checkpointTotals(stateDir: string, dir: string): { applied: number; rejected: number } {
  const loaded = loadCheckpoint(stateDir, dir);
  if (!loaded.ok) throw new Error(`no usable checkpoint: ${loaded.why}`);
  const p = loaded.checkpoint.totals.perSource;
  return {
    applied: p.invocations.applied + p.metrics.applied + p.workflow_events.applied,
    rejected: p.invocations.rejected + p.metrics.rejected + p.workflow_events.rejected,
  };
}

function appendBadLine(dir: string, n: number): void {
  appendLine(path.join(dir, SOURCE_FILES.invocations), `{"invocation_id": "broken-${n}", "agent_name": `);
}

describe('daemon: restarts', () => {
  it('kill -9 during a burst, more appends while down, restart: nothing lost, nothing twice', async () => {
    const dir = track(fixtureDir());
    const stateDir = path.join(track(tempDir('oak-state-')), 'state');
    // Under steady appends a checkpoint waits up to 12 intervals for a quiet moment: 250 ms
    // makes that 3 s, so one comes during the burst.
    const options = { dir, stateDir, checkpointIntervalMs: 250 };
    const first = await startDaemon(options);
    const { snapshot: start } = await waitForReplayParity(first);

    // The test appends continuously (in small steps, so the daemon keeps reading) while the daemon is killed.
    const work = new Workload(dir, 'burst');
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        work.workflow();
        if (++written % 7 === 0) appendBadLine(dir, written);
        await delay(1);
      }
    })();
    // Kill once the daemon has applied (and logged rejections for) lines past its last
    // checkpoint, so the restart must re-read them without counting or logging them twice.
    await first.waitFor((s) => s.health.events_applied > start.health.events_applied + 300, 15_000, 'part of the burst applied');
    const checkpointFile = path.join(stateDir, 'checkpoint.bin');
    const checkpointAt = fs.statSync(checkpointFile).mtimeMs;
    await waitUntil(() => fs.statSync(checkpointFile).mtimeMs > checkpointAt, 5000, 'a checkpoint during the burst');
    const saved = checkpointTotals(stateDir, dir);
    await first.waitFor(
      (s) => s.health.events_applied > saved.applied + 100 && s.health.lines_rejected > saved.rejected + 1,
      5000,
      'lines applied past the checkpoint',
    );
    await first.kill9();
    const atKill = written;
    // More appends while it is down.
    while (written < atKill + 40) await delay(5);
    writing = false;
    await writer;
    expect(fs.existsSync(path.join(stateDir, 'daemon.lock')), 'the dead daemon left its lock').toBe(true);
    const atCrash = checkpointTotals(stateDir, dir);
    expect(readJsonLines(path.join(stateDir, 'rejected.jsonl')).length, 'rejections logged past the last checkpoint').toBeGreaterThan(atCrash.rejected);

    const second = await startDaemon(options);
    const resumed = second.logsWith('resuming from checkpoint');
    expect(resumed, 'the restart resumes from the checkpoint').toHaveLength(1);
    expect(resumed[0]?.events_applied).toBeGreaterThan(start.health.events_applied);
    const { replay } = await waitForReplayParity(second, { timeoutMs: 15_000 });
    expect(second.logsWith(/rebuilding from the files/), 'the restart continues, it does not rebuild').toEqual([]);
    expect(replay.rejectedCount).toBeGreaterThan(5);
    expectRejectedLogMatchesReplay(stateDir, replay);
    await second.stop();
  });

  it('SIGTERM while the files are being written, appends while stopped, restart: resumes from the checkpoint', async () => {
    const dir = track(fixtureDir());
    const first = await startDaemon({ dir, snapshotIntervalMs: 5 });
    const { snapshot: start } = await waitForReplayParity(first);
    const work = new Workload(dir, 'term');
    // SIGTERM lands while lines keep coming, so snapshot writes are in flight.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        work.workflow();
        await delay(2);
      }
    })();
    await first.waitFor((s) => s.health.events_applied > start.health.events_applied + 100, 10_000, 'part of the burst applied');
    try {
      await first.stop();
    } finally {
      writing = false;
      await writer;
    }
    const stopped = first.logsWith('daemon stopped: final snapshot and checkpoint written');
    expect(stopped).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, '.oak-telemetry', 'daemon.lock')), 'lock released at shutdown').toBe(false);

    work.workflows(10);
    appendBadLine(dir, 1);
    const second = await startDaemon({ dir });
    const resumed = second.logsWith('resuming from checkpoint');
    expect(resumed).toHaveLength(1);
    // The final checkpoint holds everything applied before the stop.
    expect(resumed[0]?.events_applied).toBe(stopped[0]?.events_applied);
    const { snapshot, replay } = await waitForReplayParity(second);
    expect(snapshot.health.lines_rejected).toBe(1);
    expect(second.logsWith(/rebuilding from the files/), 'the restart continues, it does not rebuild').toEqual([]);
    expectRejectedLogMatchesReplay(second.stateDir, replay);
    await second.stop();
  });

  it('the invocations file rewritten in place while the daemon is stopped: the restart and --source auto notice', async () => {
    const dir = track(fixtureDir());
    const first = await startDaemon({ dir });
    await waitForReplayParity(first);
    await first.stop();

    // The reference's update pattern, changing one record in the middle without changing the
    // file's size ("success" and "failure" have the same length): the windows at the head and
    // before the checkpoint's offset are unchanged, only a hash of everything read can tell.
    const file = path.join(dir, SOURCE_FILES.invocations);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const middle = lines.findIndex((l, i) => i >= lines.length / 2 && l.includes('"status": "success"'));
    lines[middle] = (lines[middle] as string).replace('"status": "success"', '"status": "failure"');
    const size = fs.statSync(file).size;
    fs.writeFileSync(file, lines.map((l) => l + '\n').join(''));
    expect(fs.statSync(file).size).toBe(size);

    const stats = async (source: string) =>
      JSON.parse((await run(process.execPath, [CLI, 'stats', '--json', '--dir', dir, '--source', source])).stdout) as unknown;
    const replay = replayFigures(dir);
    const [auto, fromReplay] = await Promise.all([stats('auto'), stats('replay')]);
    expect(fromReplay).toEqual(replay.stats);
    expect(auto).toEqual(replay.stats);

    const second = await startDaemon({ dir });
    const { snapshot } = await waitForReplayParity(second, { extra: (s) => s.health.rebuilds >= 1 });
    expect(snapshot.health.rebuilds).toBe(1);
    const rebuilt = await second.waitForLog((l) => /rebuilding from the files/.test(l.msg));
    expect(second.logsWith(/rebuilding from the files/).map((l) => l.file)).toEqual([SOURCE_FILES.invocations]);
    // Found by the check of the bytes before the checkpoint, which runs once the daemon serves.
    expect(rebuilt.why).toMatch(/bytes read before the checkpoint changed \(found after start/);
    expect(second.logs.indexOf(second.logsWith(/^daemon ready/)[0]!)).toBeLessThan(second.logs.indexOf(rebuilt));
    await second.stop();
  });

  it('a restart serves before it has checked the files against the checkpoint; once checked, checkpoints vouch again', async () => {
    const dir = track(fixtureDir());
    const first = await startDaemon({ dir });
    await waitForReplayParity(first);
    await first.stop();
    new Workload(dir, 'while down').workflows(5);

    // No checkpoint is written before the check (it could not vouch for the files); the final one, after it, does.
    const second = await startDaemon({ dir });
    const checked = await second.waitForLog((l) => l.msg === 'the files hold what the checkpoint was built from');
    expect(second.logs.indexOf(second.logsWith(/^daemon ready/)[0]!)).toBeLessThan(second.logs.indexOf(checked));
    new Workload(dir, 'after the check').workflows(3);
    const { snapshot } = await waitForReplayParity(second);
    expect(snapshot.health.rebuilds).toBe(0);
    await second.stop();
    const fp = loadCheckpoint(path.join(dir, '.oak-telemetry'), dir);
    expect(fp.ok && fp.checkpoint.positions.invocations.fingerprint?.prefixLength).toBe(fs.statSync(path.join(dir, SOURCE_FILES.invocations)).size);

    const third = await startDaemon({ dir });
    const { snapshot: again } = await waitForReplayParity(third);
    expect(again.health.rebuilds).toBe(0);
    expect(third.logsWith('resuming from checkpoint')).toHaveLength(1);
    await third.stop();
  });

  it('a second daemon on the same state dir refuses, naming the lock; the first carries on', async () => {
    const dir = track(fixtureDir());
    const first = await startDaemon({ dir });
    await waitForReplayParity(first);
    const second = await startDaemon({ dir, waitReady: false });
    const exit = await second.exited;
    expect(exit.code, second.describe()).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(second.stderr).toContain(path.join(dir, '.oak-telemetry', 'daemon.lock'));
    expect(second.logsWith('daemon ready: following telemetry')).toEqual([]);

    new Workload(dir).workflows(3);
    await waitForReplayParity(first);
    await first.stop();
  });

  it('--source auto answers from the checkpoint plus what was appended since, exactly as --source replay', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);
    await daemon.stop();

    // After the checkpoint: new workflows, replacement records, a bad line.
    const work = new Workload(dir, 'after');
    work.workflows(8);
    for (const id of work.invocationIds.slice(0, 5)) work.reupdate(id, 77, 'failure');
    appendBadLine(dir, 1);

    const checkpointPath = path.join(dir, '.oak-telemetry', 'checkpoint.bin');
    const checkpointBytes = fs.readFileSync(checkpointPath);

    // The checkpoint is used, not thrown away: what --source auto runs.
    const loaded = resume(path.join(dir, '.oak-telemetry'), dir, DEFAULT_MAX_LINE_BYTES, {});
    expect(loaded.checkpoint, loaded.why ?? '').not.toBeNull();
    expect(readToEnd(loaded)).toBe(true);

    const replay = replayFigures(dir);
    const answer = async (args: string[], source: string) => {
      const { stdout } = await run(process.execPath, [CLI, ...args, '--json', '--dir', dir, '--source', source]);
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    // `stats`, and `report` for every other section (a fixed --now: the open workflows' ages).
    const report = ['report', '--now', '2026-11-25T00:00:00Z'];
    const [statsAuto, statsReplay, reportAuto, reportReplay] = await Promise.all([
      answer(['stats'], 'auto'),
      answer(['stats'], 'replay'),
      answer(report, 'auto'),
      answer(report, 'replay'),
    ]);
    expect(statsAuto).toEqual(statsReplay);
    expect(statsAuto).toEqual(replay.stats);
    expect(reportAuto).toEqual(reportReplay);
    expect(reportAuto).toMatchObject({ stats: replay.stats, workflows: replay.workflows, overhead: replay.overhead });
    expect(fs.readFileSync(checkpointPath).equals(checkpointBytes), 'the CLI never writes the checkpoint').toBe(true);
  });
});
