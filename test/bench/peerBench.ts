/**
 * "peer": what a user would reach for instead, DuckDB over the same JSONL, computing the
 * per-agent figures of `stats`, as a whole process (spawn to exit). Beside it, in the same run
 * on the same files: the floor as a whole process, and our `stats --json --source replay`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BenchContext, BenchRow } from './benchTypes.js';
import { kWorkflows, logNotes, median, rowOf, runNode, runWorker, workerScript } from './benchProcess.js';

interface AgentFigures {
  invocation_count: number;
  success_rate: number;
  average_duration_seconds: number;
  average_quality: number;
}

interface DuckResult {
  loadMs: number;
  queryMs: number;
  agents: Record<string, AgentFigures>;
}

function unavailable(reason: string): BenchRow {
  const short = reason.replace(/\s+/g, ' ').slice(0, 200);
  return { name: 'peer: DuckDB stats, whole process', unit: 'ms', median: 0, min: 0, max: 0, runs: 0, note: `DuckDB unavailable: ${short}` };
}

/** Do DuckDB's figures agree with ours (ours are rounded: rates to 3 places, averages to 2)? */
function compare(duck: Record<string, AgentFigures>, ours: Record<string, AgentFigures>): string {
  const names = Object.keys(ours);
  const off: string[] = [];
  if (Object.keys(duck).length !== names.length) off.push(`${Object.keys(duck).length} agents vs ${names.length}`);
  for (const name of names) {
    const d = duck[name];
    const o = ours[name] as AgentFigures;
    if (d === undefined) {
      off.push(`${name} missing`);
      continue;
    }
    if (d.invocation_count !== o.invocation_count) off.push(`${name} count ${d.invocation_count} vs ${o.invocation_count}`);
    if (Math.abs(d.success_rate - o.success_rate) > 0.0006) off.push(`${name} success rate`);
    if (Math.abs(d.average_duration_seconds - o.average_duration_seconds) > 0.006) off.push(`${name} duration`);
    if (Math.abs(d.average_quality - o.average_quality) > 0.006) off.push(`${name} quality`);
  }
  return off.length === 0 ? `DuckDB's figures agree with ours for all ${names.length} agents` : `DuckDB's figures differ: ${off.slice(0, 4).join('; ')}`;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  try {
    createRequire(import.meta.url).resolve('@duckdb/node-api');
  } catch (error) {
    return [unavailable(`@duckdb/node-api is not installed (${(error as Error).message.split('\n')[0]})`)];
  }
  const workflows = ctx.quick ? 3000 : 30000;
  const dir = await ctx.dataset(workflows);

  const floor: number[] = [];
  const duck: number[] = [];
  const ours: number[] = [];
  const duckInside: DuckResult[] = [];
  let agreement = '';
  for (let i = 0; i < ctx.runs; i++) {
    floor.push((await runWorker<{ ms: number }>('floorWorker', [dir])).wallMs);
    let d: DuckResult & { wallMs: number };
    try {
      d = await runWorker<DuckResult>('duckdbWorker', [dir]);
    } catch (error) {
      return [unavailable((error as Error).message)];
    }
    duck.push(d.wallMs);
    duckInside.push(d);
    const s = await runNode([ctx.cli, 'stats', '--json', '--dir', dir, '--source', 'replay']);
    ours.push(s.wallMs);
    if (i === 0) agreement = compare(d.agents, (JSON.parse(s.stdout) as { agents: Record<string, AgentFigures> }).agents);
    ctx.log(`peer run ${i + 1}/${ctx.runs}: floor ${floor[i]?.toFixed(0)} ms, DuckDB ${d.wallMs.toFixed(0)} ms, ours ${s.wallMs.toFixed(0)} ms`);
  }

  const size = `${kWorkflows(workflows)} workflows`;
  const floorName = 'floor: read + JSON.parse every line, whole process';
  const duckName = 'DuckDB stats, whole process';
  const load = median(duckInside.map((d) => d.loadMs));
  const query = median(duckInside.map((d) => d.queryMs));
  return logNotes(ctx, [
    rowOf({ name: `peer: ${floorName} (${size})`, unit: 'ms', values: floor, note: `node ${path.relative(process.cwd(), workerScript('floorWorker'))} DIR, Node start-up included` }),
    rowOf({
      name: `peer: ${duckName} (${size})`,
      unit: 'ms',
      values: duck,
      baseline: { name: floorName, median: median(floor) },
      note: `@duckdb/node-api, read_ndjson with the needed columns named, per-agent count, success rate, non-zero-duration average, last-rating quality; inside: ${load.toFixed(0)} ms loading DuckDB, ${query.toFixed(0)} ms query. ${agreement}`,
    }),
    rowOf({
      name: `peer: our stats --json --source replay, whole process (${size})`,
      unit: 'ms',
      values: ours,
      baseline: { name: duckName, median: median(duck) },
      target: 'stretch: beat DuckDB (< 1x)',
      met: (ratio) => ratio !== undefined && ratio < 1,
      note: 'reads all three files and folds every projection before answering',
    }),
  ]);
}
