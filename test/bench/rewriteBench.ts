/**
 * "rewrite": the reference logger's update_invocation against a running daemon. python3 reads
 * every record of agent_invocations.jsonl with json.loads, changes one (status, duration, error
 * message), truncates the file and writes every record back with json.dumps(record) + "\n".
 * Measured: the daemon's CPU time (utime + stime from /proc/PID/stat) from just before the
 * rewrite until the daemon has applied it (snapshot says so, no lag), written the checkpoint
 * that follows a change, and gone quiet. Baseline, in the same process on the same files: the
 * daemon's CPU from spawn to "daemon ready" (the full catch-up, its first snapshot and
 * checkpoint included). Sizes: quick 3k; full 30k and 100k workflows
 * (OAK_BENCH_REWRITE_WORKFLOWS=30000 picks others).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { kWorkflows, logNotes, median, rowOf } from './benchProcess.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { copyTelemetry, DaemonProcess, readSnapshot, sleep, snapshotPathOf, stateDirOf, waitFor, wallNow } from './daemonBenchProcess.js';

const RATIO_TARGET = 0.15;
/** The daemon is quiet once its CPU time has not moved for this long. */
const QUIET_MS = 400;

/** update_invocation as the reference writes it: record number `at` (a fraction of the count) changed. */
const UPDATE = `
import json, sys
path, at, run = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
with open(path) as f:
    records = [json.loads(line) for line in f if line.strip()]
r = records[int(at * (len(records) - 1))]
r["duration_seconds"] = 1000.25 + run
r["outcome"]["status"] = "failure" if r["outcome"].get("status") != "failure" else "success"
r["outcome"]["error_message"] = "updated by update_invocation, run %d" % run
with open(path, "w") as f:
    for record in records:
        f.write(json.dumps(record) + "\\n")
`;

/** OAK_BENCH_REWRITE_NODE_ARGS: node flags for the daemon, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof). */
function daemonNodeArgs(): string[] {
  const raw = process.env.OAK_BENCH_REWRITE_NODE_ARGS?.trim();
  return raw ? raw.split(/\s+/) : [];
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Waits until the process's CPU time stays put for QUIET_MS; returns it. */
async function quietCpu(pid: number): Promise<number> {
  let last = cpuSeconds(pid);
  let since = wallNow();
  for (;;) {
    await sleep(50);
    const now = cpuSeconds(pid);
    if (now !== last) {
      last = now;
      since = wallNow();
    } else if (wallNow() - since >= QUIET_MS) return now;
  }
}

interface RewriteRun {
  readonly cpuMs: number;
  readonly cpuToSnapshotMs: number;
  readonly asChanges: boolean;
}

async function measureSize(ctx: BenchContext, workflows: number): Promise<BenchRow[]> {
  const dir = path.join(ctx.workDir, `rewrite-${workflows}`);
  fs.rmSync(dir, { recursive: true, force: true });
  copyTelemetry(await ctx.dataset(workflows), dir);
  const file = path.join(dir, SOURCE_FILES.invocations);
  const snapshotFile = snapshotPathOf(dir);
  const checkpointFile = path.join(stateDirOf(dir), 'checkpoint.bin');
  const daemon = new DaemonProcess(ctx.cli, dir, [], daemonNodeArgs());
  try {
    await daemon.waitForLog('daemon ready', 900_000);
    const pid = daemon.pid as number;
    const catchUpMs = (await quietCpu(pid)) * 1000;
    ctx.log(`rewrite ${kWorkflows(workflows)}: full catch-up used ${catchUpMs.toFixed(0)} ms of daemon CPU`);
    const runs: RewriteRun[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const before = readSnapshot(snapshotFile);
      const seen = { changes: before?.health.rewrites_as_changes ?? 0, rebuilds: before?.health.rebuilds ?? 0 };
      const checkpointBefore = fs.statSync(checkpointFile).mtimeMs;
      const cpuBefore = cpuSeconds(pid);
      execFileSync('python3', ['-c', UPDATE, file, String((i + 1) / (ctx.runs + 1)), String(i)]);
      const after = await waitFor(
        'the rewrite applied',
        () => {
          if (!daemon.running) throw new Error('daemon exited');
          const s = readSnapshot(snapshotFile);
          if (s === null || s.health.lag_bytes !== 0) return undefined;
          const changes = s.health.rewrites_as_changes ?? 0;
          return changes > seen.changes || s.health.rebuilds > seen.rebuilds ? { asChanges: changes > seen.changes } : undefined;
        },
        600_000,
      );
      const cpuToSnapshot = cpuSeconds(pid);
      // The checkpoint that follows a change is part of its cost.
      await waitFor('the checkpoint after the rewrite', () => (fs.statSync(checkpointFile).mtimeMs > checkpointBefore ? true : undefined), 120_000, 20);
      const cpuAfter = await quietCpu(pid);
      runs.push({ cpuMs: (cpuAfter - cpuBefore) * 1000, cpuToSnapshotMs: (cpuToSnapshot - cpuBefore) * 1000, asChanges: after.asChanges });
      ctx.log(
        `rewrite ${kWorkflows(workflows)}: run ${i + 1}/${ctx.runs}: ${after.asChanges ? 'applied as changes' : 'REBUILT'}, ` +
          `daemon CPU ${((cpuAfter - cpuBefore) * 1000).toFixed(0)} ms (${((cpuToSnapshot - cpuBefore) * 1000).toFixed(0)} ms until the snapshot showed it)`,
      );
    }
    const lines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
    const note =
      `${kWorkflows(workflows)} workflows, ${lines} invocation lines (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB rewritten each time); ` +
      `daemon CPU until the snapshot showed the change: median ${median(runs.map((r) => r.cpuToSnapshotMs)).toFixed(0)} ms, the rest is the checkpoint and views after it` +
      (runs.every((r) => r.asChanges) ? '' : `; WARNING: ${runs.filter((r) => !r.asChanges).length} of ${runs.length} rewrites were rebuilt`);
    return [
      rowOf({
        name: `rewrite: daemon CPU for a one-record update_invocation rewrite, ${kWorkflows(workflows)} workflows`,
        unit: 'ms',
        values: runs.map((r) => r.cpuMs),
        baseline: { name: 'daemon CPU for the full catch-up', median: catchUpMs },
        target: `<= ${RATIO_TARGET * 100}% of a full catch-up`,
        met: (ratio) => ratio !== undefined && ratio <= RATIO_TARGET,
        note,
      }),
    ];
  } finally {
    // A profiled daemon writes its profile on a clean exit only.
    if (daemonNodeArgs().length > 0) await daemon.stop();
    else await daemon.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const chosen = process.env.OAK_BENCH_REWRITE_WORKFLOWS?.split(',').map(Number).filter((n) => n > 0);
  const sizes = chosen !== undefined && chosen.length > 0 ? chosen : ctx.quick ? [3000] : [30000, 100000];
  const rows: BenchRow[] = [];
  for (const workflows of sizes) rows.push(...(await measureSize(ctx, workflows)));
  return logNotes(ctx, rows);
}
