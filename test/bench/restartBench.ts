/**
 * "restart": the daemon has processed the files and written its checkpoint (stopped with
 * SIGTERM); then 1k new workflows (quick: 100) are appended, and the daemon starts again:
 * restore the checkpoint, verify the files against it, read only what was appended.
 * Baseline, in the same run on the same files: a start without a checkpoint (full replay).
 * Timed from spawn to (a) the first snapshot.json, which the daemon writes once every line
 * present is applied, and (b) the log line "daemon ready" (after the first checkpoint write).
 *
 * Between runs the files go back to their pre-append size (truncated in place: the checkpoint
 * identifies the files by inode, so a copy would not match it) and the same bytes are appended
 * again; the state dir is rebuilt from the saved one (checkpoint.bin hard-linked: the daemon
 * replaces it by rename, never in place).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { DEFAULT_NOW } from '../../src/generate/generateTelemetry.js';
import { parseTimestampUs, US_PER_DAY } from '../../src/domain/time.js';
import { kWorkflows, median, rowOf } from './benchProcess.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import {
  copyTelemetry,
  DaemonProcess,
  generatedBytes,
  lineCount,
  processCpuMs,
  readSnapshot,
  snapshotPathOf,
  stateDirOf,
  telemetrySizes,
  waitFor,
  wallNow,
} from './daemonBenchProcess.js';

const NEW_SEED = 7;
const RATIO_TARGET = 0.1;

interface StartTiming {
  readonly snapshotMs: number;
  readonly readyMs: number;
  /** The daemon's own "caught up" ms (reading + folding, without process start and restore). */
  readonly caughtUpMs: number;
  readonly eventsApplied: number;
  readonly resumed: boolean;
  /** The daemon's CPU ms up to its first snapshot (seen within the 2 ms poll): main thread, all threads. */
  readonly cpu: { readonly main: number; readonly all: number };
}

/**
 * OAK_BENCH_RESTART_NODE_ARGS: node flags for the daemon restarted from the checkpoint, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof). With flags, that
 * daemon is stopped by SIGTERM (a profile is written at exit), not killed.
 */
function resumedNodeArgs(): string[] {
  const raw = process.env.OAK_BENCH_RESTART_NODE_ARGS?.trim();
  return raw ? raw.split(/\s+/) : [];
}

/** Starts the daemon, waits for its first snapshot and for "daemon ready", then kills it (stops it, given node flags). */
async function timedStart(ctx: BenchContext, dir: string, nodeArgs: readonly string[] = []): Promise<StartTiming> {
  const snapshotFile = snapshotPathOf(dir);
  const daemon = new DaemonProcess(ctx.cli, dir, [], nodeArgs);
  try {
    const snap = await waitFor(
      'the first snapshot',
      () => {
        if (!daemon.running) throw new Error('daemon exited before its first snapshot');
        if (!fs.existsSync(snapshotFile)) return undefined;
        const seenAt = wallNow();
        const cpu = processCpuMs(daemon.pid);
        const s = readSnapshot(snapshotFile);
        return s === null ? undefined : { seenAt, cpu, s };
      },
      600_000,
      2,
    );
    const ready = await daemon.waitForLog('daemon ready', 600_000);
    const caughtUp = daemon.findLog('caught up');
    return {
      snapshotMs: snap.seenAt - daemon.startedAt,
      readyMs: ready.at - daemon.startedAt,
      caughtUpMs: typeof caughtUp?.line.ms === 'number' ? caughtUp.line.ms : Number.NaN,
      eventsApplied: snap.s.health.events_applied,
      resumed: daemon.findLog('resuming from checkpoint') !== undefined,
      cpu: snap.cpu,
    };
  } finally {
    // Nothing of this run is kept: SIGKILL spares the final checkpoint write.
    if (nodeArgs.length > 0) await daemon.stop();
    await daemon.kill();
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const workflows = ctx.quick ? 3000 : 30000;
  const added = ctx.quick ? 100 : 1000;
  const base = path.join(ctx.workDir, `restart-${workflows}`);
  const dir = path.join(base, 'telemetry');
  const saved = path.join(base, 'saved-state');
  const stateDir = stateDirOf(dir);
  fs.rmSync(base, { recursive: true, force: true });
  copyTelemetry(await ctx.dataset(workflows), dir);

  try {
    ctx.log(`restart: daemon on ${kWorkflows(workflows)} workflows, for its checkpoint`);
    const first = new DaemonProcess(ctx.cli, dir);
    try {
      await first.waitForLog('daemon ready', 600_000);
    } finally {
      const began = Date.now();
      await first.stop();
      ctx.log(`restart: daemon stopped (SIGTERM) in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
    fs.renameSync(stateDir, saved);
    fs.rmSync(path.join(saved, 'snapshot.json'), { force: true });
    fs.rmSync(path.join(saved, 'daemon.lock'), { force: true });
    const checkpointBytes = fs.statSync(path.join(saved, 'checkpoint.bin')).size;

    // New workflows, later than the dataset and with other ids.
    const nowUs = parseTimestampUs(DEFAULT_NOW) + US_PER_DAY;
    const extra = generatedBytes({ workflows: added, seed: NEW_SEED, nowUs, days: 1 });
    const before = telemetrySizes(dir);
    const extraBytes = SOURCE_KINDS.reduce((n, kind) => n + extra[kind].length, 0);

    const prepareFiles = () => {
      for (const kind of SOURCE_KINDS) {
        const fd = fs.openSync(path.join(dir, SOURCE_FILES[kind]), 'r+');
        try {
          fs.ftruncateSync(fd, before[kind as SourceKind]);
          const bytes = extra[kind];
          let at = 0;
          while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at, before[kind] + at);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
      fs.rmSync(path.join(dir, 'performance_stats.json'), { force: true });
    };
    const restoreState = () => {
      fs.mkdirSync(stateDir, { recursive: true });
      for (const name of fs.readdirSync(saved)) {
        if (name === 'checkpoint.bin') fs.linkSync(path.join(saved, name), path.join(stateDir, name));
        else fs.copyFileSync(path.join(saved, name), path.join(stateDir, name));
      }
    };

    prepareFiles();
    const totalLines = lineCount(dir);
    const resumed: StartTiming[] = [];
    const replayed: StartTiming[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      prepareFiles();
      restoreState();
      const r = await timedStart(ctx, dir, resumedNodeArgs());
      prepareFiles();
      const b = await timedStart(ctx, dir);
      resumed.push(r);
      replayed.push(b);
      ctx.log(
        `restart: run ${i + 1}/${ctx.runs}: from checkpoint ${r.snapshotMs.toFixed(0)} ms to snapshot (CPU main ${r.cpu.main.toFixed(0)}, all ${r.cpu.all.toFixed(0)} ms), ${r.readyMs.toFixed(0)} ms to ready (caught up ${r.caughtUpMs} ms)` +
          `${r.resumed ? '' : ' [CHECKPOINT NOT USED]'}; full replay ${b.snapshotMs.toFixed(0)} ms (CPU main ${b.cpu.main.toFixed(0)}, all ${b.cpu.all.toFixed(0)} ms) / ${b.readyMs.toFixed(0)} ms (caught up ${b.caughtUpMs} ms); ` +
          `events ${r.eventsApplied} / ${b.eventsApplied} of ${totalLines} lines`,
      );
    }

    const cpuOf = (starts: readonly StartTiming[], which: 'main' | 'all') => median(starts.map((t) => t.cpu[which]));
    const cpuNote = ['main', 'all'].map((which) => {
      const r = cpuOf(resumed, which as 'main' | 'all');
      const b = cpuOf(replayed, which as 'main' | 'all');
      return `${which === 'main' ? 'main thread' : 'all threads'} ${r.toFixed(0)} vs ${b.toFixed(0)} ms (${(r / b).toFixed(2)}x)`;
    });
    const allApplied = [...resumed, ...replayed].every((t) => t.eventsApplied === replayed[0]!.eventsApplied);
    const note =
      `${kWorkflows(workflows)} workflows + ${added} new (${(extraBytes / 2 ** 20).toFixed(1)} MiB appended); checkpoint.bin ${(checkpointBytes / 2 ** 20).toFixed(0)} MiB; ` +
      `daemon's "caught up" ms: ${median(resumed.map((t) => t.caughtUpMs)).toFixed(0)} from checkpoint vs ${median(replayed.map((t) => t.caughtUpMs)).toFixed(0)} replaying; ` +
      `daemon CPU to the first snapshot, from checkpoint vs replaying: ${cpuNote.join(', ')}` +
      (resumed.every((t) => t.resumed) ? '' : '; WARNING: the checkpoint was not used in some runs') +
      (allApplied ? `; every start applied ${replayed[0]!.eventsApplied} events (${totalLines} lines)` : '; WARNING: events_applied differs between starts');
    const size = `${kWorkflows(workflows)} + ${kWorkflows(added)} new workflows`;
    const target = `<= ${RATIO_TARGET * 100}% of a full replay`;
    return [
      rowOf({
        name: `restart: checkpoint + catch-up -> first snapshot, ${size}`,
        unit: 'ms',
        values: resumed.map((t) => t.snapshotMs),
        baseline: { name: 'full replay -> first snapshot', median: median(replayed.map((t) => t.snapshotMs)) },
        target,
        met: (ratio) => ratio !== undefined && ratio <= RATIO_TARGET,
        note,
      }),
      rowOf({
        name: `restart: checkpoint + catch-up -> "daemon ready", ${size}`,
        unit: 'ms',
        values: resumed.map((t) => t.readyMs),
        baseline: { name: 'full replay -> "daemon ready"', median: median(replayed.map((t) => t.readyMs)) },
        target,
        met: (ratio) => ratio !== undefined && ratio <= RATIO_TARGET,
        note: `"daemon ready" comes after the first checkpoint write (fsync); ${note}`,
      }),
    ];
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
