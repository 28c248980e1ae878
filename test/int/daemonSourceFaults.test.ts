/**
 * Real faults on the telemetry files while the real daemon runs: a directory, a FIFO or a
 * symlink loop in place of a file, a file its user cannot read, a `touch`, the dir removed and
 * made again, a symlink to a huge sparse file. Each time the daemon stays up and keeps serving,
 * logs the fault once when it starts and once when it clears, shows it in health.faults, and
 * once it clears ends with snapshot == batch replay.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import {
  daemonDirsPerTest,
  type DaemonProcess,
  fixtureDir,
  startDaemon,
  tempDir,
  waitForReplayParity,
} from '../support/daemonHarness.js';
import { nobodyUnavailable } from '../support/smallTmpfs.js';

const dirs = daemonDirsPerTest();

const track = (dir: string): string => dirs.track(dir);

let serial = 0;
function invocationLine(): string {
  serial++;
  const id = `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
  return JSON.stringify({
    timestamp: '2026-11-06T13:03:40.050470Z',
    session_id: 'e3eff9c0-cf44-dd3f-89e7-d15f17362f25',
    invocation_id: id,
    agent_name: 'fault-tester',
    agent_type: 'quality',
    task_description: 'survive a bad day',
    workflow_id: null,
    outcome: { status: 'success', duration_seconds: 1.5 },
  });
}

function faultsOf(s: Snapshot) {
  return s.health.faults ?? [];
}

function faultLogs(daemon: DaemonProcess, file: string) {
  const started = daemon.logs.filter((l) => l.msg.startsWith('I/O fault:') && (l.fault as { file: string }).file === file);
  const cleared = daemon.logs.filter((l) => l.msg.startsWith('I/O fault cleared:') && (l.fault as { file: string }).file === file);
  return { started: started.length, cleared: cleared.length };
}

async function healthzAnswers(daemon: DaemonProcess): Promise<number> {
  const url = await daemon.httpUrl();
  const began = Date.now();
  const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return Date.now() - began;
}

/** Puts `make(path)` in place of a telemetry file, then puts the file back; checks the daemon through it. */
async function faultAndHeal(file: string, code: string, make: (p: string) => void, options: { atStart?: boolean } = {}): Promise<void> {
  const dir = track(fixtureDir());
  const target = path.join(dir, file);
  const aside = path.join(track(tempDir('oak-aside-')), file);
  if (options.atStart) {
    fs.renameSync(target, aside);
    make(target);
  }
  const daemon = await startDaemon({ dir, http: '127.0.0.1:0', pollIntervalMs: 200 });
  if (!options.atStart) {
    await waitForReplayParity(daemon);
    fs.renameSync(target, aside);
    make(target);
  }
  const faulted = await daemon.waitFor((s) => faultsOf(s).some((f) => f.file === file && f.code === code), 10_000, `a ${code} fault on ${file}`);
  expect(faultsOf(faulted).find((f) => f.file === file)).toMatchObject({ file, code, since: expect.any(String) });
  // Still serving, and the other files still flow.
  expect(await healthzAnswers(daemon)).toBeLessThan(2000);
  const other = file === SOURCE_FILES.invocations ? SOURCE_FILES.metrics : SOURCE_FILES.invocations;
  if (other === SOURCE_FILES.invocations) {
    // The appended invocation is served while the fault lasts (whatever a rebuild, if moving the
    // file away started one, did meanwhile): its agent shows up in the stats.
    appendLine(path.join(dir, other), invocationLine());
    await daemon.waitFor((s) => faultsOf(s).length > 0 && JSON.stringify(s.stats).includes('"fault-tester"'), 10_000, 'the appended invocation applied during the fault');
  }
  // Several retries later, still one log line for it.
  await daemon.waitFor((s) => (faultsOf(s).find((f) => f.file === file)?.attempts ?? 0) >= 3, 15_000, 'three failed attempts');
  expect(faultLogs(daemon, file).started).toBe(1);
  // The fault clears: the file comes back and the state ends equal to a replay.
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(aside, target);
  await daemon.waitFor((s) => faultsOf(s).length === 0, 10_000, 'the fault cleared');
  await waitForReplayParity(daemon);
  expect(faultLogs(daemon, file)).toEqual({ started: 1, cleared: 1 });
  await daemon.stop();
}

describe('daemon: a telemetry path that is not a readable regular file', () => {
  it('a directory in place of a file (EISDIR): serves, logs once, recovers to replay parity', async () => {
    await faultAndHeal(SOURCE_FILES.metrics, 'EISDIR', (p) => fs.mkdirSync(p));
  });

  it('a FIFO in place of a file: never opened (no hang), /healthz answers, SIGTERM stops it', async () => {
    await faultAndHeal(SOURCE_FILES.workflow_events, 'ENOTREG', (p) => {
      const made = spawnSync('mkfifo', [p]);
      expect(made.status, String(made.stderr)).toBe(0);
    });
  });

  it('a FIFO already there at start-up: it starts and says what is wrong', async () => {
    await faultAndHeal(
      SOURCE_FILES.workflow_events,
      'ENOTREG',
      (p) => {
        expect(spawnSync('mkfifo', [p]).status).toBe(0);
      },
      { atStart: true },
    );
  });

  it('a symlink loop (ELOOP)', async () => {
    await faultAndHeal(SOURCE_FILES.metrics, 'ELOOP', (p) => {
      const other = `${p}.loop`;
      fs.symlinkSync(path.basename(other), p);
      fs.symlinkSync(path.basename(p), other);
    });
  });

  it('a file its user cannot read (EACCES), as an unprivileged daemon user', async (ctx) => {
    if (nobodyUnavailable !== null) ctx.skip(nobodyUnavailable);
    const dir = track(fixtureDir());
    fs.chmodSync(dir, 0o777);
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o666);
    const stateDir = track(tempDir('oak-state-'));
    fs.chmodSync(stateDir, 0o777);
    const daemon = await startDaemon({ dir, stateDir, http: '127.0.0.1:0', pollIntervalMs: 200, runAs: { uid: 65534, gid: 65534 } });
    await waitForReplayParity(daemon);
    const file = SOURCE_FILES.workflow_events;
    fs.chmodSync(path.join(dir, file), 0o000);
    // An append the daemon cannot read: it waits, faulted, with what it had.
    fs.appendFileSync(path.join(dir, file), '\n');
    await daemon.waitFor((s) => faultsOf(s).some((f) => f.file === file && f.code === 'EACCES'), 10_000, 'an EACCES fault');
    expect(await healthzAnswers(daemon)).toBeLessThan(2000);
    fs.chmodSync(path.join(dir, file), 0o666);
    await daemon.waitFor((s) => faultsOf(s).length === 0, 10_000, 'the fault cleared');
    await waitForReplayParity(daemon);
    expect(faultLogs(daemon, file)).toEqual({ started: 1, cleared: 1 });
    await daemon.stop();
  });
});

describe('daemon: the telemetry dir itself', () => {
  it('a touch is not a rewrite: no rebuild for a newer mtime over the same bytes', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, pollIntervalMs: 50 });
    await waitForReplayParity(daemon);
    const file = path.join(dir, SOURCE_FILES.invocations);
    for (let i = 0; i < 15; i++) {
      const t = new Date(Date.now() + i * 1000);
      fs.utimesSync(file, t, t);
      // Touches spaced past the daemon's follow-up reads, each seen on its own.
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
    // A line appended after the touches arrives, and no rebuild happened on the way.
    appendLine(file, invocationLine());
    const { snapshot } = await waitForReplayParity(daemon);
    expect(snapshot.health.rebuilds).toBe(0);
    expect(daemon.logsWith('a file changed other than by appending')).toEqual([]);
    // The same size with other bytes still is a rewrite.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"agent_name": "code-reviewer"', '"agent_name": "code-reviewex"'));
    // Seen as a rewrite: the changed record is applied as a change (no rebuild needed).
    const rewritten = await daemon.waitFor((s) => s.health.rewrites_as_changes === 1, 10_000, 'a same-size rewrite applied as a change');
    expect(rewritten.health.rebuilds).toBe(0);
    await waitForReplayParity(daemon);
    await daemon.stop();
  });

  it('removed and made again: the watcher is re-armed (a line arrives long before the safety poll)', async () => {
    const parent = track(tempDir('oak-parent-'));
    const dir = path.join(parent, 'telemetry');
    fs.mkdirSync(dir);
    const daemon = await startDaemon({ dir, stateDir: path.join(parent, 'state'), pollIntervalMs: 60_000 });
    appendLine(path.join(dir, SOURCE_FILES.invocations), invocationLine());
    await daemon.waitFor((s) => s.health.events_applied === 1, 10_000, 'the first line (watcher)');
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    appendLine(path.join(dir, SOURCE_FILES.invocations), invocationLine());
    // The poll is a minute away: only a re-armed watcher brings the line within seconds.
    await daemon.waitFor((s) => s.health.events_applied === 1 && (s.sources?.invocations.size ?? 0) > 0 && s.health.rebuilds >= 1, 10_000, 'the line after the dir was made again');
    await waitForReplayParity(daemon);
    await daemon.stop();
  });

  it('a symlink to a huge sparse file: read in steps, /healthz answers and SIGTERM stops it meanwhile', async () => {
    const dir = track(fixtureDir());
    const big = path.join(track(tempDir('oak-sparse-')), 'huge.jsonl');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 4 * 1024 * 1024 * 1024);
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0', pollIntervalMs: 200 });
    await waitForReplayParity(daemon);
    const file = path.join(dir, SOURCE_FILES.workflow_events);
    fs.rmSync(file);
    fs.symlinkSync(big, file);
    await daemon.waitForLog((l) => l.msg.startsWith('a file changed other than by appending'), 10_000, 'the rebuild starting');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await healthzAnswers(daemon));
    expect(Math.max(...times), `healthz times ${times.join(', ')} ms`).toBeLessThan(1500);
    await daemon.stop();
  });
});
