import { formatTimestampUs, US_PER_DAY } from '../../domain/time.js';
import { pyRound } from '../../domain/pyRound.js';
import type { OverheadState } from '../folds/coordinationOverhead.js';
import type { LedgerState } from '../folds/ledger.js';
import { cellKey, cellOf, FAILURES, RUNS, type RunHistoryState, SUCCESSES, US_PER_HOUR } from '../folds/runHistory.js';
import { FAILURE, SUCCESS } from '../store/invocationTable.js';
import type { WorkflowDetailsState } from '../folds/workflowDetails.js';
import { hasComplete, type WorkflowTimingsState } from '../folds/workflowTimings.js';
import { counted, type WorkflowOverhead } from '../folds/workflowOverhead.js';
import { overheadOf } from './overhead.js';
import { byText } from '../../domain/byText.js';

/**
 * History: per UTC hour or day, the runs (per agent too), their success rate and the
 * coordination overhead of the workflows completed in it, all by the data's own timestamps.
 * Runs come from the run-history fold's hourly cells; a project filter reads the invocation
 * columns instead (an invocation's project is its workflow's, which may be learnt after it).
 * Overhead per bucket is `overhead`'s formula over the workflows whose complete line falls in
 * the bucket, from the overhead and timing folds, as `overhead` itself is. Buckets with neither
 * runs nor completions are left out, so a year with two busy days is two rows, not 365.
 */

export type BucketChoice = 'auto' | 'hour' | 'day';

/** With `auto`, data spanning at most this long is shown per hour, anything longer per day. */
export const AUTO_HOURLY_SPAN_HOURS = 48;

export interface HistoryArgs {
  readonly bucket?: BucketChoice | undefined;
  readonly project?: string | undefined;
  /** Epoch microseconds, rounded down to the hour: the first hour counted. */
  readonly sinceUs?: number | undefined;
  /** Epoch microseconds, rounded down to the hour: the first hour no longer counted. */
  readonly untilUs?: number | undefined;
}

export interface HistoryBucket {
  start: string;
  runs: number;
  successes: number;
  failures: number;
  /** successes / (successes + failures); null without a decided run. */
  success_rate: number | null;
  /** Runs per agent, in the order of `agents`. */
  agent_runs: number[];
  /** Success rate per agent, in the order of `agents`; null without a decided run. */
  agent_success_rate: Array<number | null>;
  /** Completed workflows counted by `overhead` whose complete line falls in this bucket. */
  workflows_counted: number;
  /** Their coordination overhead, percent; null when none counts. */
  overhead_pct: number | null;
}

export interface HistoryView {
  bucket: 'hour' | 'day';
  bucket_seconds: number;
  /** Start of the first bucket and end of the last; null without dated data. */
  from: string | null;
  to: string | null;
  runs: number;
  /** Invocations whose timestamp does not parse (left out of every bucket). */
  undated_runs: number;
  /** Agents by runs in the range, most first (ties by name). */
  agents: string[];
  buckets: HistoryBucket[];
}

interface Counters {
  runs: number;
  successes: number;
  failures: number;
}

const rate = (c: Counters): number | null => (c.successes + c.failures > 0 ? pyRound(c.successes / (c.successes + c.failures), 3) : null);

/** The hourly cells to read: the fold's, or for one project, counted from the invocation columns. */
function hourlyCells(history: RunHistoryState, ledger: LedgerState, details: WorkflowDetailsState, project: string | undefined) {
  if (project === undefined) return { cells: history.cells, undated: history.undated };
  const cells = new Map<number, [number, number, number]>();
  let undated = 0;
  const projectRef = details.names.find(project);
  const table = ledger.table;
  if (projectRef < 0) return { cells, undated };
  for (let seq = 0; seq < table.size; seq++) {
    const ref = table.workflowRefAt(seq);
    if (ref < 0 || details.project.get(ref) !== projectRef) continue;
    const timeUs = table.timeUsAt(seq);
    if (Number.isNaN(timeUs)) {
      undated++;
      continue;
    }
    const key = cellKey(Math.floor(timeUs / US_PER_HOUR), table.agentRefAt(seq));
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = [0, 0, 0];
      cells.set(key, cell);
    }
    cell[RUNS]++;
    const status = table.statusAt(seq);
    if (status === SUCCESS) cell[SUCCESSES]++;
    else if (status === FAILURE) cell[FAILURES]++;
  }
  return { cells, undated };
}

export function query(
  history: RunHistoryState,
  overhead: OverheadState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  ledger: LedgerState,
  args: HistoryArgs = {},
): HistoryView {
  const fromHour = args.sinceUs === undefined ? -Infinity : Math.floor(args.sinceUs / US_PER_HOUR);
  const untilHour = args.untilUs === undefined ? Infinity : Math.floor(args.untilUs / US_PER_HOUR);
  const inRange = (hour: number) => hour >= fromHour && hour < untilHour;

  const { cells, undated } = hourlyCells(history, ledger, details, args.project);
  const runs: Array<{ hour: number; agentRef: number; cell: readonly number[] }> = [];
  for (const [key, cell] of cells) {
    const { hour, agentRef } = cellOf(key);
    if (inRange(hour)) runs.push({ hour, agentRef, cell });
  }
  const projectRef = args.project === undefined ? undefined : details.names.find(args.project);
  const completed: Array<{ hour: number; workflow: WorkflowOverhead }> = [];
  for (let ref = 0; ref < timings.completeSession.length; ref++) {
    if (!hasComplete(timings, ref)) continue;
    if (projectRef !== undefined && (projectRef < 0 || details.project.get(ref) !== projectRef)) continue;
    const timeUs = timings.completeTime.get(ref);
    if (Number.isNaN(timeUs)) continue;
    const hour = Math.floor(timeUs / US_PER_HOUR);
    if (!inRange(hour)) continue;
    const workflow = counted(overhead, timings, ledger, ref);
    if (workflow !== undefined) completed.push({ hour, workflow });
  }

  let first = Infinity;
  let last = -Infinity;
  for (const { hour } of runs) [first, last] = [Math.min(first, hour), Math.max(last, hour)];
  for (const { hour } of completed) [first, last] = [Math.min(first, hour), Math.max(last, hour)];
  const hourly = args.bucket === 'hour' || (args.bucket !== 'day' && last - first < AUTO_HOURLY_SPAN_HOURS);
  const bucketUs = hourly ? US_PER_HOUR : US_PER_DAY;
  const hoursPer = bucketUs / US_PER_HOUR;
  const bucketOf = (hour: number) => Math.floor(hour / hoursPer);

  // Agents by their runs in range, most first.
  const agentTotals = new Map<number, number>();
  for (const { agentRef, cell } of runs) agentTotals.set(agentRef, (agentTotals.get(agentRef) ?? 0) + (cell[RUNS] as number));
  const words = ledger.table.words;
  const agentRefs = [...agentTotals.keys()].sort((a, b) => (agentTotals.get(b) as number) - (agentTotals.get(a) as number) || byText(words.at(a), words.at(b)));
  const column = new Map(agentRefs.map((ref, i) => [ref, i]));

  interface Building extends Counters {
    readonly agents: Counters[];
    readonly workflows: WorkflowOverhead[];
  }
  const buckets = new Map<number, Building>();
  const bucketAt = (index: number): Building => {
    let b = buckets.get(index);
    if (b === undefined) {
      b = { runs: 0, successes: 0, failures: 0, agents: agentRefs.map(() => ({ runs: 0, successes: 0, failures: 0 })), workflows: [] };
      buckets.set(index, b);
    }
    return b;
  };
  let total = 0;
  for (const { hour, agentRef, cell } of runs) {
    const b = bucketAt(bucketOf(hour));
    const a = b.agents[column.get(agentRef) as number] as Counters;
    for (const c of [b, a]) {
      c.runs += cell[RUNS] as number;
      c.successes += cell[SUCCESSES] as number;
      c.failures += cell[FAILURES] as number;
    }
    total += cell[RUNS] as number;
  }
  for (const { hour, workflow } of completed) bucketAt(bucketOf(hour)).workflows.push(workflow);

  const indexes = [...buckets.keys()].sort((a, b) => a - b);
  const items = indexes.map((index): HistoryBucket => {
    const b = buckets.get(index) as Building;
    const overheadView = overheadOf(b.workflows);
    return {
      start: formatTimestampUs(index * bucketUs),
      runs: b.runs,
      successes: b.successes,
      failures: b.failures,
      success_rate: rate(b),
      agent_runs: b.agents.map((a) => a.runs),
      agent_success_rate: b.agents.map(rate),
      workflows_counted: b.workflows.length,
      overhead_pct: b.workflows.length > 0 ? overheadView.coordination_overhead_pct : null,
    };
  });
  const firstIndex = indexes[0];
  const lastIndex = indexes[indexes.length - 1];
  return {
    bucket: hourly ? 'hour' : 'day',
    bucket_seconds: bucketUs / 1_000_000,
    from: firstIndex === undefined ? null : formatTimestampUs(firstIndex * bucketUs),
    to: lastIndex === undefined ? null : formatTimestampUs((lastIndex + 1) * bucketUs),
    runs: total,
    undated_runs: undated,
    agents: agentRefs.map((ref) => words.at(ref)),
    buckets: items,
  };
}
