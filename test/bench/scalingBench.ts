/**
 * "scaling": replay time, retained heap per invocation, and the overhead and best-agent queries
 * at growing sizes. Each row's baseline is the next smaller size scaled linearly (for memory: its
 * bytes per invocation), so a ratio near 1 means linear growth.
 */
import type { BenchContext, BenchRow } from './benchTypes.js';
import { kWorkflows, logNotes, median, rowOf, runWorker } from './benchProcess.js';

const QUERY_REPEATS = 10;

interface ScalingResult {
  ms: number;
  invocations: number;
  retainedPerInvocation: number;
  overheadMs: number[];
  bestAgentMs: number[];
  bestAgentMatches: number;
}

interface Measured {
  readonly workflows: number;
  readonly invocations: number;
  readonly replay: number[];
  readonly memory: number[];
  /** Per run: the median of QUERY_REPEATS calls in that process. */
  readonly overhead: number[];
  readonly bestAgent: number[];
  /** Per run: the first call (it may refresh lazily kept orders). */
  readonly overheadFirst: number[];
  readonly bestAgentFirst: number[];
  readonly matches: number;
}

async function measure(ctx: BenchContext, workflows: number): Promise<Measured> {
  const dir = await ctx.dataset(workflows);
  const m = { workflows, invocations: 0, replay: [] as number[], memory: [] as number[], overhead: [] as number[], bestAgent: [] as number[], overheadFirst: [] as number[], bestAgentFirst: [] as number[], matches: 0 };
  for (let i = 0; i < ctx.runs; i++) {
    const r = await runWorker<ScalingResult>('replayWorker', [dir, '--memory', '--queries', String(QUERY_REPEATS)], ['--expose-gc']);
    m.invocations = r.invocations;
    m.matches = r.bestAgentMatches;
    m.replay.push(r.ms);
    m.memory.push(r.retainedPerInvocation);
    m.overhead.push(median(r.overheadMs));
    m.bestAgent.push(median(r.bestAgentMs));
    m.overheadFirst.push(r.overheadMs[0] ?? NaN);
    m.bestAgentFirst.push(r.bestAgentMs[0] ?? NaN);
    ctx.log(`scaling ${kWorkflows(workflows)} run ${i + 1}/${ctx.runs}: replay ${r.ms.toFixed(0)} ms, ${r.retainedPerInvocation.toFixed(0)} bytes/invocation`);
  }
  return m;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const sizes = ctx.quick ? [1000, 3000] : [3000, 30000, 100000];
  const all: Measured[] = [];
  for (const workflows of sizes) all.push(await measure(ctx, workflows));
  const rows: BenchRow[] = [];
  let previous: Measured | undefined;
  for (const m of all) {
    const size = kWorkflows(m.workflows);
    // Baseline: the next smaller size scaled linearly (ratio 1 = linear from there; the smallest
    // size carries fixed costs such as JIT warm-up, so each step is compared with the one before).
    const scale = previous === undefined ? 1 : m.workflows / previous.workflows;
    const linear = (pick: (x: Measured) => number[], what: string) =>
      previous === undefined ? undefined : { name: `${kWorkflows(previous.workflows)} ${what} x ${scale.toFixed(1)} (linear)`, median: median(pick(previous)) * scale };
    const perWorkflowUs = (median(m.replay) * 1000) / m.workflows;
    rows.push(
      rowOf({
        name: `scaling: replay ${size} workflows`,
        unit: 'ms',
        values: m.replay,
        baseline: linear((x) => x.replay, 'replay'),
        note: `${perWorkflowUs.toFixed(0)} µs per workflow, ${((median(m.replay) * 1000) / m.invocations).toFixed(1)} µs per invocation (${m.invocations} invocations)`,
      }),
      rowOf({
        name: `scaling: retained heap ${size} workflows`,
        unit: 'bytes/invocation',
        values: m.memory,
        baseline: previous === undefined ? undefined : { name: `${kWorkflows(previous.workflows)} (flat = linear)`, median: median(previous.memory) },
        note: `${((median(m.memory) * m.invocations) / 2 ** 20).toFixed(0)} MB retained`,
      }),
      rowOf({
        name: `scaling: overhead query in-process, ${size} workflows`,
        unit: 'ms',
        values: m.overhead,
        baseline: linear((x) => x.overhead, 'overhead'),
        note: `median of ${QUERY_REPEATS} calls per process; first call ${median(m.overheadFirst).toFixed(2)} ms`,
      }),
      rowOf({
        name: `scaling: best-agent query in-process, ${size} workflows`,
        unit: 'ms',
        values: m.bestAgent,
        baseline: linear((x) => x.bestAgent, 'best-agent'),
        note: `median of ${QUERY_REPEATS} calls per process; first call ${median(m.bestAgentFirst).toFixed(2)} ms; ${m.matches} agents matched`,
      }),
    );
    previous = m;
  }
  return logNotes(ctx, rows);
}
