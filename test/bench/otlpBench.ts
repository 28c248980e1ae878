/**
 * "otlp": the OTLP receiver.
 *
 * Throughput: `oak-telemetry receive --otlp` taking protobuf ExportTraceServiceRequests of 10k
 * spans each (100 traces of 100 spans: per trace a coordinator, a specialist and 98 tool spans,
 * children first, as exporters send them), encoded by protobufjs from the shipped .proto files,
 * two requests in flight at a time, as spans per second of wall time. Baseline, in the same
 * run: the same bodies POSTed the same way to a node:http server that only reads them.
 *
 * Latency: `daemon --otlp`; one small trace (a coordinator and a specialist) POSTed at a time,
 * timed from the POST to the first snapshot.json whose stats count its invocations (fs.watch on
 * the state dir plus a 3 ms stat poll, as the live section watches), after one unmeasured
 * request (the receiver loads its protobuf codec on the first). Baseline, in the same
 * daemon: the same two invocation lines appended to the file directly (the file path's floor).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import { manyAgentTraces, otlpTraceRequest } from '../support/otlpRequests.js';
import { median, rowOf, workerScript } from './benchProcess.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { DaemonProcess, percentile, sleep, snapshotPathOf, stateDirOf, wallNow } from './daemonBenchProcess.js';

const SPANS_PER_REQUEST = 10_000;
const IN_FLIGHT = 2;

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const requests = ctx.quick ? 6 : 20;
  const bodies = Array.from({ length: requests }, (_, i) => otlpTraceRequest(manyAgentTraces(100, 100, 1 + i * 100), 'bench'));
  ctx.log(`otlp: ${requests} requests of ${SPANS_PER_REQUEST} spans, ${(bodies[0]!.length / 2 ** 20).toFixed(1)} MiB each`);
  const taken: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    floor.push(await throughput(ctx, bodies, 'floor'));
    taken.push(await throughput(ctx, bodies, 'receive'));
    ctx.log(`otlp run ${r + 1}: receive ${taken[r]!.toFixed(0)} spans/s, floor ${floor[r]!.toFixed(0)} spans/s`);
  }
  const floorMedian = median(floor);

  const p50: number[] = [];
  const p99: number[] = [];
  const fileP50: number[] = [];
  const fileP99: number[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    const run = await latency(ctx, ctx.quick ? 15 : 60, r);
    p50.push(percentile(run.otlp, 50));
    p99.push(percentile(run.otlp, 99));
    fileP50.push(percentile(run.file, 50));
    fileP99.push(percentile(run.file, 99));
    ctx.log(`otlp latency run ${r + 1}: p50 ${p50[r]!.toFixed(1)} ms, p99 ${p99[r]!.toFixed(1)} ms (file append: ${fileP50[r]!.toFixed(1)} / ${fileP99[r]!.toFixed(1)} ms)`);
  }
  return [
    rowOf({
      name: `otlp: spans/s receive --otlp takes (protobuf requests of ${SPANS_PER_REQUEST / 1000}k spans, ${IN_FLIGHT} in flight)`,
      unit: 'spans/s',
      values: taken,
      baseline: { name: 'node:http server that only reads the body', median: floorMedian },
    }),
    rowOf({
      name: 'otlp: export-to-snapshot latency p50 through daemon --otlp (POST to the snapshot showing it)',
      unit: 'ms',
      values: p50,
      baseline: { name: 'the same lines appended to the file, p50', median: median(fileP50) },
    }),
    rowOf({
      name: 'otlp: export-to-snapshot latency p99 through daemon --otlp (POST to the snapshot showing it)',
      unit: 'ms',
      values: p99,
      baseline: { name: 'the same lines appended to the file, p99', median: median(fileP99) },
    }),
  ];
}

/** A server process and its port (read from a log line or the worker's first line). */
async function startServer(ctx: BenchContext, kind: 'floor' | 'receive', dir: string): Promise<{ child: ChildProcess; port: number }> {
  const args = kind === 'floor' ? [workerScript('drainServer')] : [ctx.cli, 'receive', '--otlp', '127.0.0.1:0', '--dir', dir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      for (const line of text.split('\n')) {
        try {
          const parsed = JSON.parse(line) as { port?: unknown };
          if (typeof parsed.port === 'number') resolve(parsed.port);
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${String(code)}) before listening`)));
  });
  child.stdout!.resume();
  return { child, port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Spans per second for all the bodies, IN_FLIGHT at a time, against a fresh server process. */
async function throughput(ctx: BenchContext, bodies: readonly Uint8Array[], kind: 'floor' | 'receive'): Promise<number> {
  const dir = path.join(ctx.workDir, `otlp-${kind}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const { child, port } = await startServer(ctx, kind, dir);
  try {
    const url = `http://127.0.0.1:${port}/v1/traces`;
    let next = 0;
    const began = wallNow();
    const sender = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf' } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${kind}: a request got ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
    const seconds = (wallNow() - began) / 1000;
    return (bodies.length * SPANS_PER_REQUEST) / seconds;
  } finally {
    await stopServer(child);
  }
}

/** One daemon: `samples` POSTs and as many direct appends, alternating, each waited for in snapshot.json. */
async function latency(ctx: BenchContext, samples: number, run: number): Promise<{ otlp: number[]; file: number[] }> {
  const dir = path.join(ctx.workDir, `otlp-latency-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const daemon = new DaemonProcess(ctx.cli, dir, ['--otlp', '127.0.0.1:0']);
  const snapshotFile = snapshotPathOf(dir);
  let invocations = 0;
  let waiting: { count: number; resolve: (at: number) => void } | null = null;
  const look = () => {
    if (waiting === null) return;
    let count: number;
    try {
      count = (JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as { stats: { total_invocations: number } }).stats.total_invocations;
    } catch {
      return;
    }
    if (count >= waiting.count) {
      const done = waiting;
      waiting = null;
      done.resolve(wallNow());
    }
  };
  const shown = (count: number) => new Promise<number>((resolve) => (waiting = { count, resolve }));
  try {
    await daemon.waitForLog('daemon ready', 60_000);
    const port = (await daemon.waitForLog('otlp receiver listening', 5000)).line.port as number;
    const watcher = fs.watch(stateDirOf(dir), look);
    const poll = setInterval(look, 3);
    try {
      const otlp: number[] = [];
      const file: number[] = [];
      const invocationsFile = path.join(dir, 'agent_invocations.jsonl');
      // One unmeasured request first: the receiver loads its protobuf codec on the first one.
      invocations += 2;
      const warm = shown(invocations);
      await (await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: new Uint8Array(otlpTraceRequest(manyAgentTraces(1, 2, 1_000_000), 'bench')), headers: { 'content-type': 'application/x-protobuf' } })).arrayBuffer();
      await warm;
      for (let i = 0; i < samples; i++) {
        // through the receiver: a coordinator and a specialist, in one request
        const body = otlpTraceRequest(manyAgentTraces(1, 2, 1 + i), 'bench');
        invocations += 2;
        const seen = shown(invocations);
        const began = wallNow();
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf' } });
        await res.arrayBuffer();
        otlp.push((await seen) - began);
        // the floor: the two invocation lines it wrote, appended again under new ids
        const lines = fs.readFileSync(invocationsFile, 'utf8').trimEnd().split('\n').slice(-2);
        invocations += 2;
        const seenFile = shown(invocations);
        const beganFile = wallNow();
        for (const line of lines) appendLine(invocationsFile, line.replace(/"invocation_id": "([^"]+)"/, `"invocation_id": "$1-file"`));
        file.push((await seenFile) - beganFile);
        await sleep(20);
      }
      return { otlp, file };
    } finally {
      watcher.close();
      clearInterval(poll);
    }
  } finally {
    await daemon.kill();
  }
}
