/**
 * The live bench's writer, in its own process so the measuring process is not the writer:
 * replays a feed of generated lines (see writeFeed in daemonBenchProcess.ts) into the three
 * telemetry files at a paced rate, each line in one write(2) on an O_APPEND descriptor (what
 * appendLine does, minus its open/close per line), and records for every line its file, the
 * byte offset just after it and the wall time its write returned.
 *
 * argv[2]: JSON { dir, feed, rate (lines/s), durationMs, out }. Writes `out` (JSON) at the end
 * and prints {"lines": n} on stdout.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Args {
  readonly dir: string;
  readonly feed: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly out: string;
}

const FILES = ['agent_invocations.jsonl', 'success_metrics.jsonl', 'workflow_events.jsonl'];

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const feed = fs.readFileSync(args.feed);
  const wanted = Math.ceil((args.rate * args.durationMs) / 1000);
  // Line starts in the feed (each: kind digit, the JSON text, "\n").
  const starts: number[] = [];
  for (let at = 0; at < feed.length && starts.length < wanted; ) {
    const nl = feed.indexOf(0x0a, at);
    if (nl === -1) break;
    starts.push(at);
    at = nl + 1;
  }
  if (starts.length < wanted) throw new Error(`feed has ${starts.length} lines, ${wanted} wanted`);
  const fds = FILES.map((f) => fs.openSync(path.join(args.dir, f), 'a'));
  const offsets = fds.map((fd) => fs.fstatSync(fd).size);
  const kinds = new Uint8Array(wanted);
  const ends = new Float64Array(wanted);
  const times = new Float64Array(wanted);
  const startOffsets = [...offsets];

  const began = wallNow();
  let i = 0;
  while (i < wanted) {
    const due = Math.min(wanted, Math.floor(((wallNow() - began) * args.rate) / 1000) + 1);
    while (i < due) {
      const at = starts[i]!;
      const nl = feed.indexOf(0x0a, at);
      const kind = feed[at]! - 0x30;
      const line = feed.subarray(at + 1, nl + 1);
      let written = 0;
      while (written < line.length) written += fs.writeSync(fds[kind]!, line, written, line.length - written);
      offsets[kind]! += line.length;
      kinds[i] = kind;
      ends[i] = offsets[kind]!;
      times[i] = wallNow();
      i++;
    }
    if (i < wanted) {
      // Sleep until the next line is due; never spin (the machine may have few cores, and
      // the daemon under test needs them). Timers fire about every ms at best.
      const wait = began + (i * 1000) / args.rate - wallNow();
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(wait))));
    }
  }
  for (const fd of fds) fs.closeSync(fd);
  fs.writeFileSync(
    args.out,
    JSON.stringify({ began, startOffsets, kinds: Array.from(kinds), ends: Array.from(ends), times: Array.from(times) }),
  );
  process.stdout.write(`${JSON.stringify({ lines: wanted })}\n`);
}

await main();
