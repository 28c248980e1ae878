/**
 * Full batch replay (decode + every projection) of DIR in this fresh process.
 * Usage: node [--expose-gc] replayWorker.js DIR [--memory] [--queries N]
 *   --memory     retained heap: gc twice before and after the replay (needs --expose-gc)
 *   --queries N  then time the overhead and best-agent queries N times each on the state
 * Prints {"ms", "invocations", "events", "rejected", "cpuMs", "mainCpuMs", ...memory and query figures}.
 */
import fs from 'node:fs';
import { replayDirectory } from '../../../src/io/replayFiles.js';
import { DEFAULT_NOW } from '../../../src/generate/generateTelemetry.js';
import { parseTimestampUs } from '../../../src/domain/time.js';
import { bestAgents, overhead } from '../../../src/queries/telemetryQueries.js';

/**
 * A task in the generator's vocabulary with enough keywords that agents reach the default
 * minimum confidence (0.5): two match at 3k and 30k workflows.
 */
export const BENCH_TASK = 'test verify cover e2e suite coverage mocks login payment';

const argv = process.argv.slice(2);
const dir = argv[0];
if (dir === undefined) throw new Error('usage: replayWorker DIR [--memory] [--queries N]');
const memory = argv.includes('--memory');
const queriesAt = argv.indexOf('--queries');
const queryRuns = queriesAt === -1 ? 0 : Number(argv[queriesAt + 1]);

function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('--memory needs node --expose-gc');
  gc();
  gc();
}

/**
 * CPU time this thread has run, in ms (/proc/thread-self/schedstat: ns on a CPU first); NaN where
 * that file cannot be read. The rest of the process's CPU is the decoding worker's and the GC
 * helper threads'.
 */
function threadCpuMs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

if (memory) fullGc();
// Columns live in ArrayBuffers, outside the JS heap: retained memory counts both.
const retainedNow = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.arrayBuffers;
const heapBefore = process.memoryUsage().heapUsed;
const retainedBefore = retainedNow(process.memoryUsage());
const mainBefore = threadCpuMs();
const cpuBefore = process.cpuUsage();
const began = performance.now();
const ingest = replayDirectory(dir);
const ms = performance.now() - began;
const cpu = process.cpuUsage(cpuBefore);
const mainCpuMs = threadCpuMs() - mainBefore;

const result: Record<string, unknown> = {
  ms,
  invocations: ingest.state.ledger.table.size,
  workflows: ingest.state.ledger.groupCount,
  events: ingest.state.counts.invocations + ingest.state.counts.metrics + ingest.state.counts.workflowEvents,
  rejected: ingest.rejectedCount,
  /** CPU of the whole process during the replay, and of this (the folding) thread alone. */
  cpuMs: (cpu.user + cpu.system) / 1000,
  mainCpuMs,
};

if (memory) {
  fullGc();
  const usage = process.memoryUsage();
  result.heapBefore = heapBefore;
  result.heapAfter = usage.heapUsed;
  result.rss = usage.rss;
  result.external = usage.external;
  result.arrayBuffers = usage.arrayBuffers;
  result.retainedPerInvocation = (retainedNow(usage) - retainedBefore) / Math.max(1, ingest.state.ledger.table.size);
}

if (queryRuns > 0) {
  const nowUs = parseTimestampUs(DEFAULT_NOW);
  const time = (fn: () => unknown): number => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  const overheadMs: number[] = [];
  const bestAgentMs: number[] = [];
  for (let i = 0; i < queryRuns; i++) {
    overheadMs.push(time(() => overhead(ingest.state)));
    bestAgentMs.push(time(() => bestAgents(ingest.state, { task: BENCH_TASK, nowUs })));
  }
  result.overheadMs = overheadMs;
  result.bestAgentMs = bestAgentMs;
  result.bestAgentMatches = bestAgents(ingest.state, { task: BENCH_TASK, nowUs }).length;
}

process.stdout.write(`${JSON.stringify(result)}\n`);
