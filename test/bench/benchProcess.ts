/**
 * Shared by the bench sections: every measured thing runs in a fresh Node process, so JIT
 * warm-up, GC state and the memory of one measurement never leak into the next.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize, type BenchContext, type BenchRow } from './benchTypes.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The compiled worker script `dist/test/bench/workers/<name>.js`. */
export function workerScript(name: string): string {
  return path.join(here, 'workers', `${name}.js`);
}

export interface Finished {
  /** Wall time from spawn to exit, in ms: the whole process as a user would wait for it. */
  readonly wallMs: number;
  readonly stdout: string;
}

/** Runs `node ...args` to completion; rejects on a non-zero exit with its stderr. */
export function runNode(args: readonly string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - began) / 1e6;
      if (code !== 0) {
        const detail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-5).join(' | ');
        reject(new Error(`node ${args.join(' ')} exited with ${code ?? signal}: ${detail}`));
        return;
      }
      resolve({ wallMs, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

/** Runs a worker in a fresh process and parses the JSON document on the last line of its stdout. */
export async function runWorker<T>(name: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<T & { wallMs: number }> {
  const done = await runNode([...nodeFlags, workerScript(name), ...args]);
  const lines = done.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return { ...(JSON.parse(last) as T), wallMs: done.wallMs };
  } catch {
    throw new Error(`worker ${name} printed no JSON result: ${JSON.stringify(done.stdout.slice(-300))}`);
  }
}

export interface RowSpec {
  readonly name: string;
  readonly unit: BenchRow['unit'];
  readonly values: readonly number[];
  readonly baseline?: { readonly name: string; readonly median: number };
  readonly target?: string;
  /** Decides `met` from the ratio to the baseline (or from the median when there is none). */
  readonly met?: (ratio: number | undefined, median: number) => boolean;
  readonly note?: string;
}

/** A table row: median, min and max of the values, ratio to the baseline, target and verdict. */
export function rowOf(spec: RowSpec): BenchRow {
  const s = summarize(spec.values);
  const ratio = spec.baseline !== undefined && spec.baseline.median > 0 ? s.median / spec.baseline.median : undefined;
  return {
    name: spec.name,
    unit: spec.unit,
    ...s,
    ...(spec.baseline !== undefined ? { baseline: spec.baseline } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(spec.target !== undefined ? { target: spec.target } : {}),
    ...(spec.met !== undefined ? { met: spec.met(ratio, s.median) } : {}),
    ...(spec.note !== undefined ? { note: spec.note } : {}),
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).median;
}

export function kWorkflows(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** The table has no column for notes (they go to bench/results.json): show them in the log too. */
export function logNotes(ctx: BenchContext, rows: BenchRow[]): BenchRow[] {
  for (const row of rows) if (row.note !== undefined) ctx.log(`${row.name}: ${row.note}`);
  return rows;
}
