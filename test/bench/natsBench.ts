/**
 * "nats": scale-out through a real nats-server (JetStream), beside file mode in the same run.
 * Every run gets a fresh nats-server (temp store) with the empty OAK stream.
 *
 * Throughput: three hosts, each a telemetry dir generated with its own seed (workflow ids carry
 * the seed; invocation and session ids, from the seeded generator, are checked disjoint). An
 * aggregator (`daemon --nats`) is started and ready on the empty stream; the clock starts when
 * the three `ship` processes are spawned and stops when this process reads a snapshot.json with
 * events_applied == every line and health.stream.lag_messages == 0: events/s end to end.
 * Same runs: when the stream first holds every line (polled every 20 ms), the shippers' side
 * (with the aggregator consuming meanwhile). Baseline: a file-mode daemon on the union of the
 * three dirs (each file the hosts' files concatenated), from its spawn to reading its first
 * snapshot (written once caught up). Both snapshots must agree on the invocation and workflow
 * counts, and the aggregator must report every host with all its lines.
 *
 * Latency: the live bench's writer (workers/liveWriter) appends LATENCY_RATE lines/s to one
 * host dir that a shipper follows; for every line, the time from its write returning to this
 * process reading the first snapshot.json whose health.stream.seq reaches the line's sequence
 * (read back from the stream: message id = host, file, byte offset). Baseline: the same writer
 * and feed on a dir a file-mode daemon follows; covered when sources.<file>.offset passes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeGeneratedTelemetry } from '../../src/cli/generateCommand.js';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';
import { kWorkflows, logNotes, median, rowOf, runNode, workerScript } from './benchProcess.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { DaemonProcess, lineCount, percentile, readSnapshot, sleep, snapshotPathOf, wallNow, writeFeed } from './daemonBenchProcess.js';
import { NatsFixture, type NatsSnapshotView, ShipperProcess, SnapshotWatch, fileOffsets } from './natsBenchProcess.js';

const HOSTS = ['host-a', 'host-b', 'host-c'];
const SEEDS = [101, 102, 103];
const LATENCY_RATE = 500;
const FEED_SEED = 17;
/** `ship --poll-interval-ms` (its default); OAK_BENCH_NATS_SHIP_POLL_MS to experiment. */
const SHIP_POLL_MS = Number(process.env.OAK_BENCH_NATS_SHIP_POLL_MS ?? 50);
const RUN_TIMEOUT_MS = 10 * 60_000;

// ---------------------------------------------------------------- data

interface Hosts {
  readonly dirs: readonly string[];
  /** The three dirs concatenated file by file, for the file-mode baseline. */
  readonly union: string;
  readonly linesPerHost: readonly number[];
  readonly total: number;
}

async function prepareHosts(ctx: BenchContext, workflowsPerHost: number): Promise<Hosts> {
  const dirs = HOSTS.map((host) => path.join(ctx.workDir, `nats-${host}`));
  await Promise.all(dirs.map((dir, i) => writeGeneratedTelemetry(dir, { workflows: workflowsPerHost, seed: SEEDS[i]! })));
  assertDisjointIds(dirs);
  const union = path.join(ctx.workDir, 'nats-union');
  fs.mkdirSync(union, { recursive: true });
  for (const kind of SOURCE_KINDS) {
    const out = path.join(union, SOURCE_FILES[kind]);
    fs.writeFileSync(out, '');
    for (const dir of dirs) fs.appendFileSync(out, fs.readFileSync(path.join(dir, SOURCE_FILES[kind])));
  }
  const linesPerHost = dirs.map(lineCount);
  return { dirs, union, linesPerHost, total: linesPerHost.reduce((a, b) => a + b, 0) };
}

/** Seeds must give each host its own ids, or the aggregate would merge workflows across hosts. */
function assertDisjointIds(dirs: readonly string[]): void {
  for (const field of ['invocation_id', 'session_id']) {
    const owner = new Map<string, number>();
    const pattern = new RegExp(`"${field}": "([^"]+)"`, 'g');
    dirs.forEach((dir, host) => {
      const text = fs.readFileSync(path.join(dir, SOURCE_FILES.invocations), 'utf8');
      for (const m of text.matchAll(pattern)) {
        const seenIn = owner.get(m[1]!);
        if (seenIn !== undefined && seenIn !== host) throw new Error(`${field} ${m[1]} occurs in ${HOSTS[seenIn]} and ${HOSTS[host]}`);
        owner.set(m[1]!, host);
      }
    });
  }
}

// ---------------------------------------------------------------- throughput

interface Totals {
  readonly invocations: number;
  readonly workflows: number;
}

const totalsOf = (s: NatsSnapshotView): Totals => ({ invocations: s.stats.total_invocations, workflows: s.workflows.total_workflows });

/** Baseline: spawn of a file-mode daemon on the union to its first (caught-up) snapshot. */
async function fileThroughputRun(ctx: BenchContext, hosts: Hosts, label: string): Promise<{ ms: number; totals: Totals }> {
  const stateDir = path.join(ctx.workDir, label);
  const daemon = new DaemonProcess(ctx.cli, hosts.union, ['--state-dir', stateDir]);
  let watch: SnapshotWatch<number> | null = null;
  try {
    const w = new SnapshotWatch(path.join(stateDir, 'snapshot.json'), (s) => (s as NatsSnapshotView).health.events_applied, 5);
    watch = w;
    const done = await until(`file-mode snapshot with ${hosts.total} events`, () => {
      if (!daemon.running) throw new Error('file-mode daemon exited');
      return w.find((applied) => applied === hosts.total);
    });
    const final = readSnapshot(path.join(stateDir, 'snapshot.json')) as unknown as NatsSnapshotView;
    return { ms: done.seenAt - daemon.startedAt, totals: totalsOf(final) };
  } finally {
    watch?.close();
    await daemon.kill();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

interface NatsThroughput {
  /** Spawn of the shippers to a snapshot with every line applied. */
  readonly aggregatorMs: number;
  /** Spawn of the shippers to the stream holding every line. */
  readonly shippersMs: number;
  readonly totals: Totals;
}

async function natsThroughputRun(ctx: BenchContext, hosts: Hosts, label: string): Promise<NatsThroughput> {
  const runDir = path.join(ctx.workDir, label);
  const aggState = path.join(runDir, 'aggregator');
  const nats = await NatsFixture.open();
  const shippers: ShipperProcess[] = [];
  let daemon: DaemonProcess | null = null;
  let watch: SnapshotWatch<{ applied: number; lag: number }> | null = null;
  try {
    fs.mkdirSync(runDir, { recursive: true });
    daemon = new DaemonProcess(ctx.cli, runDir, ['--nats', nats.url, '--state-dir', aggState]);
    await daemon.waitForLog('daemon ready', 60_000);
    const view = (s: unknown) => (s as NatsSnapshotView).health;
    watch = new SnapshotWatch(path.join(aggState, 'snapshot.json'), (s) => ({ applied: view(s).events_applied, lag: view(s).stream?.lag_messages ?? -1 }), 5);

    const began = wallNow();
    hosts.dirs.forEach((dir, i) => {
      shippers.push(new ShipperProcess(ctx.cli, { dir, url: nats.url, host: HOSTS[i]!, stateDir: path.join(runDir, `ship-${i}`), pollMs: SHIP_POLL_MS }));
    });
    let storedAt = Number.NaN;
    const w = watch;
    const d = daemon;
    const done = await until(`aggregator snapshot with ${hosts.total} events`, async () => {
      for (const s of shippers) s.assertRunning();
      if (!d.running) throw new Error('aggregator exited');
      if (Number.isNaN(storedAt) && (await nats.storedMessages()) >= hosts.total) storedAt = wallNow();
      const caught = w.find((v) => v.applied === hosts.total && v.lag === 0);
      return Number.isNaN(storedAt) ? undefined : caught;
    }, 20);
    const final = readSnapshot(path.join(aggState, 'snapshot.json')) as unknown as NatsSnapshotView;
    assertHosts(final, hosts);
    return { aggregatorMs: done.seenAt - began, shippersMs: storedAt - began, totals: totalsOf(final) };
  } finally {
    watch?.close();
    await Promise.all(shippers.map((s) => s.kill()));
    await daemon?.kill();
    await nats.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

function assertHosts(snapshot: NatsSnapshotView, hosts: Hosts): void {
  const got = snapshot.health.stream?.hosts ?? [];
  HOSTS.forEach((host, i) => {
    const messages = got.find((h) => h.host === host)?.messages;
    if (messages !== hosts.linesPerHost[i]) throw new Error(`aggregator has ${String(messages)} messages of ${host}, ${hosts.linesPerHost[i]} shipped`);
  });
}

// ---------------------------------------------------------------- latency

interface WriterLog {
  readonly startOffsets: number[];
  readonly kinds: number[];
  readonly ends: number[];
  readonly times: number[];
}

/** An empty telemetry dir (the three files, empty). */
function emptyTelemetryDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const kind of SOURCE_KINDS) fs.writeFileSync(path.join(dir, SOURCE_FILES[kind]), '');
  return dir;
}

/** The live bench's writer process: `rate` lines/s of the feed for `seconds` into `dir`. */
async function runWriter(dir: string, feed: string, rate: number, seconds: number): Promise<WriterLog> {
  const out = `${dir}-writer.json`;
  await runNode([workerScript('liveWriter'), JSON.stringify({ dir, feed, rate, durationMs: seconds * 1000, out })]);
  try {
    return JSON.parse(fs.readFileSync(out, 'utf8')) as WriterLog;
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/** Where each written line starts in its file (the writer records where it ends). */
function lineStarts(w: WriterLog): number[] {
  const at = [...w.startOffsets];
  return w.kinds.map((k, i) => {
    const start = at[k]!;
    at[k] = w.ends[i]!;
    return start;
  });
}

/** First observation (values never decrease) whose `value(...)` reaches `target`; -1 if none. */
function firstReaching<T>(seen: ReadonlyArray<{ readonly value: T }>, value: (v: T) => number, target: number): number {
  let lo = 0;
  let hi = seen.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value(seen[mid]!.value) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo === seen.length ? -1 : lo;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Lines no snapshot covered within the wait (left out of the percentiles). */
  readonly unseen: number;
  readonly lines: number;
}

/** Per written line, `seenAt(i) - since(i)` (by default since its write returned), as percentiles. */
function latencyOf(w: WriterLog, seenAt: (i: number) => number | undefined, since = (i: number): number | undefined => w.times[i]): Latency {
  const delays: number[] = [];
  let unseen = 0;
  for (let i = 0; i < w.times.length; i++) {
    const at = seenAt(i);
    const from = since(i);
    if (at === undefined || from === undefined) unseen++;
    else delays.push(at - from);
  }
  return { p50: percentile(delays, 50), p99: percentile(delays, 99), max: Math.max(...delays), unseen, lines: w.times.length };
}

/** Baseline: a file-mode daemon following a dir the writer appends to; a line counts once its file's offset passes it. */
async function fileLatencyRun(ctx: BenchContext, feed: string, seconds: number, label: string): Promise<Latency> {
  const dir = emptyTelemetryDir(path.join(ctx.workDir, label));
  const daemon = new DaemonProcess(ctx.cli, dir);
  let watch: SnapshotWatch<number[]> | null = null;
  try {
    await daemon.waitForLog('daemon ready', 60_000);
    watch = new SnapshotWatch(snapshotPathOf(dir), (s) => fileOffsets(s as NatsSnapshotView));
    const w = await runWriter(dir, feed, LATENCY_RATE, seconds);
    const seen = watch.seen;
    const finalEnds = SOURCE_KINDS.map((_kind, k) => Math.max(w.startOffsets[k]!, ...w.ends.filter((_e, i) => w.kinds[i] === k)));
    await until('file-mode snapshot covering every line', () => (seen.some((o) => o.value.every((off, k) => off >= finalEnds[k]!)) ? true : undefined), 5, 30_000).catch(() => undefined);
    return latencyOf(w, (i) => {
      const j = firstReaching(seen, (offsets) => offsets[w.kinds[i]!]!, w.ends[i]!);
      return j === -1 ? undefined : seen[j]!.seenAt;
    });
  } finally {
    watch?.close();
    await daemon.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One shipper follows a dir the writer appends to; an aggregator follows the stream. */
interface NatsLatency extends Latency {
  /** Append to the line stored in the stream (nats-server's timestamp): the shipper's part. */
  readonly toStream: Latency;
  /** Stored in the stream to a snapshot covering it: the aggregator's part. */
  readonly fromStream: Latency;
}

async function natsLatencyRun(ctx: BenchContext, feed: string, seconds: number, label: string): Promise<NatsLatency> {
  const runDir = path.join(ctx.workDir, label);
  const dir = path.join(runDir, 'telemetry');
  const aggState = path.join(runDir, 'aggregator');
  const shipState = path.join(runDir, 'ship');
  const nats = await NatsFixture.open();
  let daemon: DaemonProcess | null = null;
  let shipper: ShipperProcess | null = null;
  let watch: SnapshotWatch<number> | null = null;
  try {
    emptyTelemetryDir(dir);
    daemon = new DaemonProcess(ctx.cli, dir, ['--nats', nats.url, '--state-dir', aggState]);
    await daemon.waitForLog('daemon ready', 60_000);
    watch = new SnapshotWatch(path.join(aggState, 'snapshot.json'), (s) => (s as NatsSnapshotView).health.stream?.seq ?? 0);
    shipper = new ShipperProcess(ctx.cli, { dir, url: nats.url, host: HOSTS[0]!, stateDir: shipState, pollMs: SHIP_POLL_MS });
    // The shipper records its offsets after every pass: once they exist, it is connected and polling.
    const s = shipper;
    await until('the shipper polling', () => {
      s.assertRunning();
      return fs.existsSync(path.join(shipState, `ship-${HOSTS[0]}.json`)) ? true : undefined;
    });
    const w = await runWriter(dir, feed, LATENCY_RATE, seconds);
    const seen = watch.seen;
    await until('aggregator snapshot covering every line', () => (seen.some((o) => o.value >= w.times.length) ? true : undefined), 5, 30_000).catch(() => undefined);
    // Each line's message in the stream, found by the shipper's message id (file kind + byte offset).
    const stored = new Map((await nats.lineIndex()).map((m) => [`${SOURCE_KINDS.indexOf(m.kind)}:${m.byteOffset}`, m]));
    const starts = lineStarts(w);
    const messageOf = (i: number) => stored.get(`${w.kinds[i]}:${starts[i]}`);
    const snapshotSeenAt = (i: number) => {
      const message = messageOf(i);
      const j = message === undefined ? -1 : firstReaching(seen, (seq) => seq, message.seq);
      return j === -1 ? undefined : seen[j]!.seenAt;
    };
    return {
      ...latencyOf(w, snapshotSeenAt),
      toStream: latencyOf(w, (i) => messageOf(i)?.storedAt),
      fromStream: latencyOf(w, snapshotSeenAt, (i) => messageOf(i)?.storedAt),
    };
  } finally {
    watch?.close();
    await shipper?.kill();
    await daemon?.kill();
    await nats.close();
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- shared

/** Polls `probe` (sync or async) every `everyMs` until it returns a value other than undefined. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, everyMs = 5, timeoutMs = RUN_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const rate = (lines: number, ms: number) => (lines * 1000) / ms;
const sameTotals = (a: Totals, b: Totals) => a.invocations === b.invocations && a.workflows === b.workflows;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const workflowsPerHost = ctx.quick ? 300 : 10_000;
  // Quick: 3 s per latency run so that the quick section stays well under a minute.
  const seconds = ctx.quick ? 3 : 20;
  const hosts = await prepareHosts(ctx, workflowsPerHost);
  const feed = path.join(ctx.workDir, 'nats-feed.txt');
  const feedLines = LATENCY_RATE * seconds;
  writeFeed(feed, { workflows: Math.ceil(feedLines / 9) + 100, seed: FEED_SEED }, feedLines);
  const size = `3x${kWorkflows(workflowsPerHost)} workflows, ${hosts.total} lines`;
  ctx.log(`nats: ${size} (${hosts.linesPerHost.join(' + ')}), ship --poll-interval-ms ${SHIP_POLL_MS}`);
  try {
    const file: number[] = [];
    const aggregator: number[] = [];
    const shippers: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const f = await fileThroughputRun(ctx, hosts, `nats-file-${i}`);
      const n = await natsThroughputRun(ctx, hosts, `nats-stream-${i}`);
      if (f.totals.invocations + f.totals.workflows === 0 || !sameTotals(f.totals, n.totals)) {
        throw new Error(`aggregates differ: file mode ${JSON.stringify(f.totals)}, nats ${JSON.stringify(n.totals)}`);
      }
      file.push(rate(hosts.total, f.ms));
      aggregator.push(rate(hosts.total, n.aggregatorMs));
      shippers.push(rate(hosts.total, n.shippersMs));
      ctx.log(
        `nats: throughput run ${i + 1}/${ctx.runs}: file mode ${f.ms.toFixed(0)} ms (${file[i]!.toFixed(0)}/s); ` +
          `nats stream full after ${n.shippersMs.toFixed(0)} ms (${shippers[i]!.toFixed(0)}/s), snapshot after ${n.aggregatorMs.toFixed(0)} ms (${aggregator[i]!.toFixed(0)}/s)`,
      );
    }
    const fileLatency: Latency[] = [];
    const natsLatency: NatsLatency[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      fileLatency.push(await fileLatencyRun(ctx, feed, seconds, `nats-file-latency-${i}`));
      natsLatency.push(await natsLatencyRun(ctx, feed, seconds, `nats-stream-latency-${i}`));
      const show = (l: Latency) => `p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(0)} ms, unseen ${l.unseen}/${l.lines}`;
      const n = natsLatency[i]!;
      ctx.log(
        `nats: latency run ${i + 1}/${ctx.runs}: file mode ${show(fileLatency[i]!)}; nats ${show(n)} ` +
          `(append -> stored in the stream p50 ${n.toStream.p50.toFixed(1)} ms, p99 ${n.toStream.p99.toFixed(1)} ms; ` +
          `stored -> snapshot p50 ${n.fromStream.p50.toFixed(1)} ms, p99 ${n.fromStream.p99.toFixed(1)} ms)`,
      );
    }

    const fileRate = { name: 'file mode: one daemon replays the union', median: median(file) };
    const latencyNote = (l: NatsLatency[], f: Latency[]) =>
      `${LATENCY_RATE} events/s for ${seconds} s into one host dir (empty at start), ship --poll-interval-ms ${SHIP_POLL_MS}, daemons with default settings; ` +
      `append -> stored in the stream (the shipper's part, by nats-server's timestamp) p50 ${median(l.map((x) => x.toStream.p50)).toFixed(0)} ms, ` +
      `p99 ${median(l.map((x) => x.toStream.p99)).toFixed(0)} ms; stored -> snapshot (the aggregator's part) p50 ${median(l.map((x) => x.fromStream.p50)).toFixed(0)} ms, ` +
      `p99 ${median(l.map((x) => x.fromStream.p99)).toFixed(0)} ms (medians of runs); ` +
      `worst line ${Math.max(...l.map((x) => x.max)).toFixed(0)} ms (file mode ${Math.max(...f.map((x) => x.max)).toFixed(0)} ms); ` +
      `lines never seen: ${l.reduce((a, x) => a + x.unseen, 0)} (file mode ${f.reduce((a, x) => a + x.unseen, 0)})`;
    return logNotes(ctx, [
      rowOf({
        name: `nats: 3 shippers -> 1 aggregator, end to end (${size})`,
        unit: 'events/s',
        values: aggregator,
        baseline: fileRate,
        note:
          `from spawning 3 ship processes (one per host dir, fresh nats-server, aggregator already following the empty stream) to reading a snapshot with ` +
          `events_applied = ${hosts.total} and lag_messages 0; baseline: spawn of a file-mode daemon on the three dirs concatenated to its first snapshot`,
      }),
      rowOf({
        name: `nats: 3 shippers -> stream holds every line (same runs)`,
        unit: 'events/s',
        values: shippers,
        note: 'from spawning the shippers to stream info reporting every line stored (polled every 20 ms), while the aggregator consumes',
      }),
      rowOf({
        name: `nats: append->snapshot p50 (${LATENCY_RATE} events/s, ${seconds} s, ship poll ${SHIP_POLL_MS} ms)`,
        unit: 'ms',
        values: natsLatency.map((l) => l.p50),
        baseline: { name: 'file mode, same writer, p50', median: median(fileLatency.map((l) => l.p50)) },
        note: latencyNote(natsLatency, fileLatency),
      }),
      rowOf({
        name: `nats: append->snapshot p99 (${LATENCY_RATE} events/s, ${seconds} s, ship poll ${SHIP_POLL_MS} ms)`,
        unit: 'ms',
        values: natsLatency.map((l) => l.p99),
        baseline: { name: 'file mode, same writer, p99', median: median(fileLatency.map((l) => l.p99)) },
        note: latencyNote(natsLatency, fileLatency),
      }),
    ]);
  } finally {
    fs.rmSync(feed, { force: true });
    for (const dir of [...hosts.dirs, hosts.union]) fs.rmSync(dir, { recursive: true, force: true });
  }
}
