/**
 * The daemon's state-dir logs under faults and floods: a full state dir (a real 64 KiB tmpfs)
 * does not end the process, the rejections made meanwhile land in order once there is room;
 * 100,000 bad lines make a bounded number of log lines and a rejected.jsonl within its cap;
 * a crash after rejected.jsonl rotated is cut back to the checkpoint without a duplicate.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { REJECTED_LOG_GENERATIONS, REJECTED_LOG_MAX_BYTES } from '../../src/io/stateLogs.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import { type DaemonProcess, killAllDaemons, readJsonLines, startDaemon, tempDir, waitForReplayParity, waitUntil } from '../support/daemonHarness.js';
import { cleanupsPerTest } from '../support/cleanups.js';
import { fillUp, mountSmallTmpfs, tmpfsUnavailable } from '../support/smallTmpfs.js';
import { Workload } from '../support/telemetryWorkload.js';

const cleanup = cleanupsPerTest(killAllDaemons);

function dirForTest(): string {
  const dir = tempDir();
  cleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every record of rejected.jsonl and its older generations, oldest first. */
function allRejected(stateDir: string): Array<Record<string, unknown>> {
  const file = path.join(stateDir, 'rejected.jsonl');
  const gens = Array.from({ length: REJECTED_LOG_GENERATIONS + 1 }, (_, n) => (n === 0 ? file : `${file}.${n}`)).reverse();
  expect(fs.existsSync(`${file}.${REJECTED_LOG_GENERATIONS + 1}`), 'no generation beyond the kept ones').toBe(false);
  return gens.flatMap((g) => readJsonLines(g));
}

/** The figures the daemon holds now, through its HTTP API (the snapshot file may not be writable). */
async function liveSnapshot(daemon: DaemonProcess): Promise<Snapshot> {
  const response = await fetch(new URL('api/v1/snapshot', await daemon.httpUrl())).catch((error: unknown) => {
    throw new Error(`GET /api/v1/snapshot failed (${String(error)}); daemon exited: ${String(daemon.hasExited)}\n${daemon.describe()}`);
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Snapshot;
}

async function waitForLive(daemon: DaemonProcess, predicate: (s: Snapshot) => boolean, what: string, timeoutMs = 15_000): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    expect(daemon.hasExited, `daemon exited while waiting for ${what}\n${daemon.describe()}`).toBe(false);
    const snapshot = await liveSnapshot(daemon);
    if (predicate(snapshot)) return snapshot;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${daemon.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const faultLines = (daemon: DaemonProcess, file: string) => daemon.logs.filter((l) => String(l.msg).startsWith('I/O fault') && String(l.msg).includes(file));

// ---- a full state dir ---------------------------------------------------------------------------


function mountTmpfs(bytes: number): string {
  const tmpfs = mountSmallTmpfs(bytes);
  cleanup(() => tmpfs.dispose());
  return tmpfs.dir;
}


describe.skipIf(tmpfsUnavailable !== null)(`daemon: a full state dir${tmpfsUnavailable ? ` (skipped: ${tmpfsUnavailable})` : ''}`, () => {
  const faults = [
    { name: 'full', code: 'ENOSPC', start: (d: string) => fillUp(d), end: (d: string) => execFileSync('mount', ['-o', 'remount,size=4m', d], { stdio: 'pipe' }) },
    { name: 'read-only', code: 'EROFS', start: (d: string) => execFileSync('mount', ['-o', 'remount,ro', d], { stdio: 'pipe' }), end: (d: string) => execFileSync('mount', ['-o', 'remount,rw', d], { stdio: 'pipe' }) },
  ];
  it.each(faults)('bad lines while the state dir is $name: the daemon stays up, says so once, and writes them in order once it can', async (fault) => {
    const dir = dirForTest();
    new Workload(dir, 'full').workflows(2);
    const stateDir = mountTmpfs(64 * 1024);
    const daemon = await startDaemon({ dir, stateDir, http: '127.0.0.1:0', pollIntervalMs: 100 });
    await waitForReplayParity(daemon);
    fault.start(stateDir);

    const invocations = path.join(dir, SOURCE_FILES.invocations);
    const linesBefore = fs.readFileSync(invocations, 'utf8').split('\n').length - 1;
    const bad = Array.from({ length: 40 }, (_, i) => `not json ${i}`);
    for (const text of bad) fs.appendFileSync(invocations, `${text}\n`);
    await waitForLive(daemon, (s) => s.health.lines_rejected === bad.length, 'the 40 bad lines read');
    // More while it lasts: the daemon keeps reading, the fault is not logged again.
    const more = Array.from({ length: 20 }, (_, i) => `still not json ${i}`);
    for (const text of more) fs.appendFileSync(invocations, `${text}\n`);
    const during = await waitForLive(daemon, (s) => s.health.lines_rejected === bad.length + more.length, 'the 20 more read');
    expect(during.health.faults?.some((f) => f.file === 'rejected.jsonl' && f.op === 'append' && f.code === fault.code)).toBe(true);
    expect(faultLines(daemon, 'rejected.jsonl').filter((l) => l.msg === `I/O fault: append rejected.jsonl: ${fault.code}`)).toHaveLength(1);
    expect(readJsonLines(path.join(stateDir, 'rejected.jsonl'))).toEqual([]);

    fault.end(stateDir);
    await daemon.waitForLog((l) => l.msg === 'I/O fault cleared: append rejected.jsonl', 10_000, 'the fault cleared');
    // The fault clears at the first record written; the others follow in the same flush.
    const rejectedPath = path.join(stateDir, 'rejected.jsonl');
    await waitUntil(() => readJsonLines(rejectedPath).length >= bad.length + more.length, 10_000, 'every queued record written');
    const records = readJsonLines(rejectedPath);
    expect(records.map((r) => r.raw)).toEqual([...bad, ...more]);
    expect(records.map((r) => r.line)).toEqual([...bad, ...more].map((_, i) => linesBefore + i + 1));
    expect(faultLines(daemon, 'rejected.jsonl'), 'logged once when it started and once when it cleared').toHaveLength(2);
    const after = await waitForLive(daemon, (s) => !(s.health.faults ?? []).some((f) => f.file === 'rejected.jsonl'), 'health without the fault');
    expect(after.health.lines_rejected).toBe(60);
    await daemon.stop();
  });
});

// ---- a flood of bad lines ------------------------------------------------------------------------

/** `count` lines of `{}` appended to the invocations file in one write. */
function appendEmptyObjects(dir: string, count: number): void {
  fs.appendFileSync(path.join(dir, SOURCE_FILES.invocations), '{}\n'.repeat(count));
}

describe('daemon: 100,000 lines of {}', () => {
  it('make a bounded number of log lines and a rejected.jsonl within its cap, every line once', async () => {
    const dir = dirForTest();
    new Workload(dir, 'flood').workflows(2);
    appendEmptyObjects(dir, 100_000);
    const daemon = await startDaemon({ dir });
    const { replay } = await waitForReplayParity(daemon, { timeoutMs: 60_000 });
    expect(replay.rejectedCount).toBe(100_000);
    await daemon.stop();

    // 10 lines of their own per 10 s (the catch-up may take more than one interval on a busy
    // machine), the rest counted in one summary line per interval; each rejection in exactly one.
    const rejectedLines = daemon.logsWith('line rejected');
    const summaries = daemon.logsWith(/^lines rejected: /);
    expect(rejectedLines.slice(0, 10).map((l) => l.line)).toEqual(replay.rejections.slice(0, 10).map((r) => r.line));
    expect(rejectedLines.length).toBeLessThanOrEqual(10 * summaries.length);
    expect(rejectedLines.length + summaries.map((s) => s.rejected as number).reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(summaries[0]).toMatchObject({ file: SOURCE_FILES.invocations, by_reason: { bad_field: expect.any(Number) as unknown }, first_line: replay.rejections[10]?.line });
    expect(daemon.logs.length, 'log lines for 100,000 bad lines').toBeLessThan(100);

    const file = path.join(daemon.stateDir, 'rejected.jsonl');
    for (let n = 0; n <= REJECTED_LOG_GENERATIONS; n++) {
      const gen = n === 0 ? file : `${file}.${n}`;
      if (fs.existsSync(gen)) expect(fs.statSync(gen).size, gen).toBeLessThanOrEqual(REJECTED_LOG_MAX_BYTES);
    }
    expect(fs.existsSync(`${file}.1`), 'rotated at least once').toBe(true);
    const records = allRejected(daemon.stateDir);
    expect(records).toHaveLength(100_000);
    expect(records.map((r) => r.line)).toEqual(replay.rejections.map((r) => r.line));
  });

  it('a crash after rejected.jsonl rotated: the restart cuts back to the checkpoint, no line logged twice', async () => {
    const dir = dirForTest();
    new Workload(dir, 'crash').workflows(2);
    // A bad line before start: rejected.jsonl exists when the start-up checkpoint is taken.
    fs.appendFileSync(path.join(dir, SOURCE_FILES.metrics), 'not json before start\n');
    const first = await startDaemon({ dir, checkpointIntervalMs: 600_000 });
    await waitForReplayParity(first);
    // Enough records to pass the cap once (~140 bytes each).
    appendEmptyObjects(dir, 65_000);
    await waitForReplayParity(first, { timeoutMs: 60_000 });
    const file = path.join(first.stateDir, 'rejected.jsonl');
    expect(fs.existsSync(`${file}.1`), 'rotated after the checkpoint').toBe(true);
    await first.kill9();

    const second = await startDaemon({ dir, checkpointIntervalMs: 600_000 });
    const { replay } = await waitForReplayParity(second, { timeoutMs: 60_000 });
    await second.stop();
    const records = allRejected(second.stateDir);
    const keys = records.map((r) => `${String(r.file)}:${String(r.line)}`);
    expect(new Set(keys).size, 'no (file, line) twice').toBe(keys.length);
    expect(records).toHaveLength(replay.rejectedCount);
    expect(replay.rejectedCount).toBe(65_001);
  });
});
