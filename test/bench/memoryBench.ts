/**
 * "memory": retained heap per invocation after a full replay and a full GC, in a fresh process
 * run with --expose-gc; RSS after the replay beside it.
 */
import type { BenchContext, BenchRow } from './benchTypes.js';
import { kWorkflows, logNotes, median, rowOf, runWorker } from './benchProcess.js';

export interface MemoryResult {
  ms: number;
  invocations: number;
  heapBefore: number;
  heapAfter: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  retainedPerInvocation: number;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const workflows = ctx.quick ? 3000 : 30000;
  const dir = await ctx.dataset(workflows);
  const results: MemoryResult[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    const r = await runWorker<MemoryResult>('replayWorker', [dir, '--memory'], ['--expose-gc']);
    results.push(r);
    ctx.log(`memory run ${i + 1}/${ctx.runs}: ${r.retainedPerInvocation.toFixed(0)} bytes/invocation, RSS ${(r.rss / 2 ** 20).toFixed(0)} MB`);
  }
  const size = `${kWorkflows(workflows)} workflows`;
  const invocations = results[0]?.invocations ?? 0;
  const retainedMb = median(results.map((r) => r.heapAfter - r.heapBefore)) / 2 ** 20;
  return logNotes(ctx, [
    rowOf({
      name: `memory: retained heap per invocation after replay + full GC (${size})`,
      unit: 'bytes/invocation',
      values: results.map((r) => r.retainedPerInvocation),
      target: '<= 200 bytes/invocation',
      met: (_ratio, m) => m <= 200,
      note: `${invocations} invocations, ${retainedMb.toFixed(0)} MB of heap retained by the state; the reference holds ~7 KB/invocation`,
    }),
    rowOf({
      name: `memory: RSS after replay (${size})`,
      unit: 'MB',
      values: results.map((r) => r.rss / 2 ** 20),
      note: `retained = JS heap + ArrayBuffers (the columns); of it, ArrayBuffers after GC: ${(median(results.map((r) => r.arrayBuffers)) / 2 ** 20).toFixed(1)} MB`,
    }),
  ]);
}
