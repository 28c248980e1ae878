/** One measured figure: the median of several runs, with min and max, beside its baseline. */
export interface BenchRow {
  /** Section and what was measured, e.g. "replay: full replay (decode + every projection)". */
  readonly name: string;
  readonly unit: 'ms' | 'MB' | 'bytes/invocation' | 'events/s' | 'spans/s' | 'bytes';
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
  /** The baseline measured in the same run, when the figure has one. */
  readonly baseline?: { readonly name: string; readonly median: number };
  /** median / baseline.median */
  readonly ratio?: number;
  /** The target as stated in the issue, and whether it was met. */
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export interface BenchContext {
  /** --quick: 3k workflows instead of 30k, fewer runs; must finish in under a minute. */
  readonly quick: boolean;
  /** Runs per figure (at least 5 in a full run). */
  readonly runs: number;
  /** A scratch directory for generated data; removed at the end. */
  readonly workDir: string;
  /** Absolute path of the built CLI as shipped (dist/bin/oak-telemetry.js). */
  readonly cli: string;
  /** Generates (once, cached by size) a telemetry dir with `workflows` workflows; returns its path. */
  dataset(workflows: number): Promise<string>;
  log(message: string): void;
}

export function summarize(values: readonly number[]): { median: number; min: number; max: number; runs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: sorted.length };
}
