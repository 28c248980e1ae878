/**
 * `npm run bench [-- --quick] [-- --only replay,query [--merge]]`: the figures of docs/performance.md.
 * Each figure is the median of several runs beside a baseline measured in the same run on the
 * same files. Results go to bench/results.json and to the table in docs/performance.md. Benchmarks measure;
 * tests assert: nothing here fails on a missed target, it reports it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGeneratedTelemetry } from '../../src/cli/generateCommand.js';
import type { BenchContext, BenchRow } from './benchTypes.js';

interface Section {
  readonly name: string;
  readonly run: (ctx: BenchContext) => Promise<BenchRow[]>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

async function sections(): Promise<Section[]> {
  const load = async (file: string, name: string): Promise<Section | null> => {
    const full = path.join(here, `${file}.js`);
    if (!fs.existsSync(full)) return null;
    const mod = (await import(full)) as { run: Section['run'] };
    return { name, run: mod.run };
  };
  const all = await Promise.all([
    load('replayBench', 'replay'),
    load('peerBench', 'peer'),
    load('queryBench', 'query'),
    load('liveBench', 'live'),
    load('restartBench', 'restart'),
    load('rewriteBench', 'rewrite'),
    load('memoryBench', 'memory'),
    load('scalingBench', 'scaling'),
    load('natsBench', 'nats'),
    load('hookBench', 'hook'),
    load('otlpBench', 'otlp'),
  ]);
  return all.filter((s): s is Section => s !== null);
}

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function renderTable(rows: readonly BenchRow[]): string {
  const lines = ['| figure | median (min-max) | baseline (median) | ratio | target | met |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmt(r.median)} ${r.unit} (${fmt(r.min)}-${fmt(r.max)}, ${r.runs} runs) | ${r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.median)} ${r.unit}` : ''} | ${r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** The results table lives in docs/performance.md between the bench markers, so the README stays short. */
function updateResultsPage(table: string, meta: string): void {
  const page = path.join(root, 'docs/performance.md');
  const text = fs.readFileSync(page, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a === -1 || b === -1) {
    // Said, not skipped in silence: a moved page would otherwise keep stale figures unnoticed.
    process.stderr.write(`[bench] no ${start} ... ${end} in ${page}; the table there is not updated\n`);
    return;
  }
  fs.writeFileSync(page, `${text.slice(0, a + start.length)}\n${meta}\n\n${table}\n${text.slice(b)}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt === -1 ? null : new Set((argv[onlyAt + 1] ?? '').split(','));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-bench-'));
  const datasets = new Map<number, Promise<string>>();
  const ctx: BenchContext = {
    quick,
    runs: quick ? 2 : 5,
    workDir,
    cli: path.join(root, 'dist/bin/oak-telemetry.js'),
    dataset(workflows) {
      let made = datasets.get(workflows);
      if (made === undefined) {
        const dir = path.join(workDir, `data-${workflows}`);
        made = writeGeneratedTelemetry(dir, { workflows, seed: 42 }).then(() => dir);
        datasets.set(workflows, made);
      }
      return made;
    },
    log(message) {
      process.stderr.write(`[bench] ${message}\n`);
    },
  };
  const rows: BenchRow[] = [];
  try {
    for (const section of await sections()) {
      if (only !== null && !only.has(section.name)) continue;
      ctx.log(`section ${section.name}`);
      const began = Date.now();
      rows.push(...(await section.run(ctx)));
      ctx.log(`section ${section.name} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  const meta = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine.cores} cores (${machine.cpu}), ${machine.memory_gb} GiB, Node ${machine.node}; ${quick ? 'quick mode (3k workflows)' : '30k workflows unless stated'}.`;
  const table = renderTable(rows);
  process.stdout.write(`${meta}\n\n${table}\n`);
  if (quick) return;
  // A full run replaces the results; `--only` re-measures its sections in place (with --merge),
  // keeping the other rows, e.g. after a run whose baseline a background job disturbed.
  const merge = only !== null && argv.includes('--merge');
  if (only !== null && !merge) return;
  const resultsPath = path.join(root, 'bench/results.json');
  const merged = merge ? mergeRows(resultsPath, rows) : rows;
  fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
  fs.writeFileSync(resultsPath, JSON.stringify({ machine, measured_at: new Date().toISOString(), rows: merged }, null, 2) + '\n');
  updateResultsPage(renderTable(merged), merge ? `${meta} Sections ${[...(only ?? [])].join(', ')} re-measured on their own.` : meta);
}

/** The stored rows with those measured now in their place (same name), new ones at the end. */
function mergeRows(resultsPath: string, fresh: readonly BenchRow[]): BenchRow[] {
  const stored = fs.existsSync(resultsPath) ? (JSON.parse(fs.readFileSync(resultsPath, 'utf8')) as { rows: BenchRow[] }).rows : [];
  const byName = new Map(fresh.map((row) => [row.name, row]));
  const out = stored.map((row) => byName.get(row.name) ?? row);
  for (const row of fresh) if (!stored.some((s) => s.name === row.name)) out.push(row);
  return out;
}

await main();
