/**
 * "query": one question as a whole process (`best-agent --json`, `stats --json`) with the
 * daemon's checkpoint present, so `--source auto` restores it instead of replaying the files.
 * Baseline: Node's own start-up (`node -e 0`), measured in the same run. The same commands
 * with `--source replay` are shown for comparison.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kWorkflows, median, rowOf, runNode } from './benchProcess.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { copyTelemetry, DaemonProcess, snapshotPathOf, stateDirOf } from './daemonBenchProcess.js';

// Words of the generator's vocabulary, so that agents reach the default confidence and there is an answer.
const TASK = 'test verify cover e2e suite coverage mocks login payment';
/** Issue 14's targets for best-agent --json: with the daemon running, and from the checkpoint alone. */
const TARGET_MS = 250;
const DAEMON_TARGET_MS = 150;

interface Command {
  readonly key: string;
  readonly name: string;
  readonly args: (cli: string, dir: string) => string[];
  readonly target: boolean;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const workflows = ctx.quick ? 3000 : 30000;
  const dir = path.join(ctx.workDir, `query-${workflows}`);
  // A private copy: the daemon writes its state dir and performance_stats.json next to the files.
  copyTelemetry(await ctx.dataset(workflows), dir);

  ctx.log(`query: daemon on ${kWorkflows(workflows)} workflows, for its checkpoint`);
  const daemon = new DaemonProcess(ctx.cli, dir, ['--http', '127.0.0.1:0']);
  const daemonTimes: number[] = [];
  const daemonNode: number[] = [];
  let daemonAnswer = '';
  try {
    const ready = await daemon.waitForLog('daemon ready', 600_000);
    if (!fs.existsSync(path.join(stateDirOf(dir), 'checkpoint.bin')) || !fs.existsSync(snapshotPathOf(dir))) {
      throw new Error('daemon ready but checkpoint.bin or snapshot.json missing');
    }
    ctx.log(`query: daemon ready after ${((ready.at - daemon.startedAt) / 1000).toFixed(1)} s; asking it (daemon.json)`);
    // One unmeasured question first: the daemon's first answer pays for its own warm-up.
    await runNode([ctx.cli, 'best-agent', '--task', TASK, '--json', '--dir', dir]);
    for (let i = 0; i < ctx.runs; i++) {
      daemonNode.push((await runNode(['-e', '0'])).wallMs);
      const done = await runNode([ctx.cli, 'best-agent', '--task', TASK, '--json', '--dir', dir]);
      daemonTimes.push(done.wallMs);
      if (i === 0) daemonAnswer = done.stdout;
    }
    ctx.log(`query: daemon answered in ${daemonTimes.map((t) => t.toFixed(0)).join(', ')} ms; stopping (SIGTERM)`);
  } finally {
    const began = Date.now();
    await daemon.stop();
    ctx.log(`query: daemon stopped in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }
  const checkpointBytes = fs.statSync(path.join(stateDirOf(dir), 'checkpoint.bin')).size;

  const commands: Command[] = [
    { key: 'best-auto', name: 'best-agent --json', args: (cli, d) => [cli, 'best-agent', '--task', TASK, '--json', '--dir', d], target: true },
    { key: 'stats-auto', name: 'stats --json', args: (cli, d) => [cli, 'stats', '--json', '--dir', d], target: true },
    { key: 'best-replay', name: 'best-agent --json --source replay', args: (cli, d) => [cli, 'best-agent', '--task', TASK, '--json', '--source', 'replay', '--dir', d], target: false },
    { key: 'stats-replay', name: 'stats --json --source replay', args: (cli, d) => [cli, 'stats', '--json', '--source', 'replay', '--dir', d], target: false },
  ];
  const times = new Map<string, number[]>([['node', []], ...commands.map((c) => [c.key, []] as [string, number[]])]);
  const outputs = new Map<string, string>();
  for (let i = 0; i < ctx.runs; i++) {
    // Interleaved, so a slow phase of the machine hits every command alike.
    times.get('node')!.push((await runNode(['-e', '0'])).wallMs);
    for (const c of commands) {
      const done = await runNode(c.args(ctx.cli, dir));
      times.get(c.key)!.push(done.wallMs);
      if (i === 0) outputs.set(c.key, done.stdout);
    }
    ctx.log(`query: run ${i + 1}/${ctx.runs}: ${[...times].map(([k, v]) => `${k} ${v[v.length - 1]!.toFixed(0)} ms`).join(', ')}`);
  }
  const same = outputs.get('best-auto') === outputs.get('best-replay') && outputs.get('stats-auto') === outputs.get('stats-replay');

  const baseline = { name: 'node -e 0', median: median(times.get('node')!) };
  const size = kWorkflows(workflows);
  const daemonRow = rowOf({
    name: `query: best-agent --json (daemon running, --source auto asks its API), ${size} workflows`,
    unit: 'ms',
    values: daemonTimes,
    baseline: { name: 'node -e 0', median: median(daemonNode) },
    target: `<= ${DAEMON_TARGET_MS} ms`,
    met: (_ratio: number | undefined, m: number) => m <= DAEMON_TARGET_MS,
    note: 'whole process' + (daemonAnswer === outputs.get('best-replay') ? '; daemon and replay answers identical' : '; WARNING: daemon and replay answers differ'),
  });
  return [daemonRow, ...commands.map((c) =>
    rowOf({
      name: `query: ${c.name} (${c.target ? 'checkpoint present, no daemon, --source auto' : 'full replay'}), ${size} workflows`,
      unit: 'ms',
      values: times.get(c.key)!,
      baseline,
      ...(c.target ? { target: `<= ${TARGET_MS} ms`, met: (_ratio: number | undefined, m: number) => m <= TARGET_MS } : {}),
      note:
        `whole process; checkpoint.bin ${(checkpointBytes / 2 ** 20).toFixed(0)} MiB` +
        (same ? '; auto and replay answers identical' : '; WARNING: auto and replay answers differ'),
    }),
  )];
}
