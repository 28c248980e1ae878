/**
 * "replay": full batch replay (decode + every projection) versus the floor (read the same three
 * files and JSON.parse every line, nothing else), and what the `ndjson` package alone costs.
 * Each run of each thing is a fresh process; the figure is the time inside it, start-up excluded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { kWorkflows, logNotes, median, rowOf, runWorker } from './benchProcess.js';

interface Timed {
  ms: number;
  /** Replay only: CPU of the whole process, and of the folding thread (the rest: decoding worker and GC helpers). */
  cpuMs?: number;
  mainCpuMs?: number;
  lines?: number;
  events?: number;
  invocations?: number;
  rejected?: number;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const workflows = ctx.quick ? 3000 : 30000;
  const dir = await ctx.dataset(workflows);
  let bytes = 0;
  for (const kind of SOURCE_KINDS) bytes += fs.statSync(path.join(dir, SOURCE_FILES[kind])).size;

  const floor: number[] = [];
  const replay: number[] = [];
  const ndjson: number[] = [];
  const cpu: number[] = [];
  const mainCpu: number[] = [];
  let lines = 0;
  let last: Timed | undefined;
  // Interleaved, so a noisy moment on the machine hits all three alike.
  for (let i = 0; i < ctx.runs; i++) {
    const f = await runWorker<Timed>('floorWorker', [dir]);
    floor.push(f.ms);
    lines = f.lines ?? 0;
    last = await runWorker<Timed>('replayWorker', [dir]);
    replay.push(last.ms);
    cpu.push(last.cpuMs ?? Number.NaN);
    mainCpu.push(last.mainCpuMs ?? Number.NaN);
    ndjson.push((await runWorker<Timed>('ndjsonWorker', [dir])).ms);
    ctx.log(`replay run ${i + 1}/${ctx.runs}: floor ${f.ms.toFixed(0)} ms, replay ${last.ms.toFixed(0)} ms`);
  }

  // Which thread bounds the replay: the folding thread's CPU against the rest (decoding worker, GC helpers).
  ctx.log(`replay CPU, median: ${median(cpu).toFixed(0)} ms in all, folding thread ${median(mainCpu).toFixed(0)} ms, other threads ${median(cpu.map((c, i) => c - (mainCpu[i] as number))).toFixed(0)} ms`);
  const floorName = 'floor: read + JSON.parse every line';
  const floorBaseline = { name: floorName, median: median(floor) };
  const mb = bytes / 2 ** 20;
  const perSecond = (ms: number): string => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
  return logNotes(ctx, [
    rowOf({
      name: `replay: ${floorName} (${kWorkflows(workflows)} workflows)`,
      unit: 'ms',
      values: floor,
      note: `${lines} lines, ${mb.toFixed(0)} MB in three files; 64 KiB chunks, one UTF-8 decode per chunk; ${perSecond(median(floor))}`,
    }),
    rowOf({
      name: `replay: full replay, decode + every projection (${kWorkflows(workflows)} workflows)`,
      unit: 'ms',
      values: replay,
      baseline: floorBaseline,
      target: '<= 1.5x floor',
      met: (ratio) => ratio !== undefined && ratio <= 1.5,
      note: `${last?.events} events, ${last?.invocations} invocations, ${last?.rejected} rejected; ${perSecond(median(replay))}`,
    }),
    rowOf({
      name: `replay: ndjson.parse() stream only, no decode or projections (${kWorkflows(workflows)} workflows)`,
      unit: 'ms',
      values: ndjson,
      baseline: floorBaseline,
      note: 'fs.createReadStream(file).pipe(ndjson.parse()): what the ndjson package alone costs on the hot path',
    }),
  ]);
}
