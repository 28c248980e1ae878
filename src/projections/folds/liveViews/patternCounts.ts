import { Int32Column } from '../../store/columns.js';
import { isCompleted, type WorkflowStatsState } from '../workflowStats.js';

/**
 * How many completed workflows show each agent pattern, and the group position of the first
 * one: what `workflows`' most_common_patterns ranks, kept current per workflow line instead of
 * counted over every workflow on each snapshot. Built when first read; checkpointed once built.
 * A pattern whose first workflow leaves it (a repeated complete line with other agents) is
 * counted again from the columns when next read: rare, and exact.
 */
export interface PatternCounts {
  /** Per workflow number: the pattern it is counted under (-1: not counted) and its group position then. */
  readonly pattern: Int32Column;
  readonly groupSeq: Int32Column;
  readonly count: number[];
  readonly first: number[];
  /** A first position was taken away: recount before the next read. */
  stale: boolean;
}

function add(counts: PatternCounts, ref: number, pattern: number, groupSeq: number): void {
  counts.pattern.set(ref, pattern);
  counts.groupSeq.set(ref, groupSeq);
  counts.count[pattern] = (counts.count[pattern] ?? 0) + 1;
  counts.first[pattern] = Math.min(counts.first[pattern] ?? Infinity, groupSeq);
}

export interface PatternCountsData {
  readonly pattern: Int32Array;
  readonly groupSeq: Int32Array;
  readonly count: readonly number[];
  readonly first: readonly number[];
}

/** null when stale: the restore counts again when first read. */
export function patternCountsData(counts: PatternCounts): PatternCountsData | null {
  if (counts.stale) return null;
  return { pattern: counts.pattern.toArray(), groupSeq: counts.groupSeq.toArray(), count: [...counts.count], first: [...counts.first] };
}

export function patternCountsFrom(data: PatternCountsData): PatternCounts {
  return { pattern: Int32Column.from(data.pattern, -1), groupSeq: Int32Column.from(data.groupSeq, -1), count: [...data.count], first: [...data.first], stale: false };
}

export function buildPatternCounts(stats: WorkflowStatsState): PatternCounts {
  const counts: PatternCounts = { pattern: new Int32Column(-1), groupSeq: new Int32Column(-1), count: [], first: [], stale: false };
  for (let ref = 0; ref < stats.completeDuration.length; ref++) {
    if (isCompleted(stats, ref)) add(counts, ref, stats.pattern.get(ref), stats.groupSeq.get(ref));
  }
  return counts;
}

/** After a workflow line: the workflow is counted under its pattern now. */
export function placePattern(counts: PatternCounts, stats: WorkflowStatsState, ref: number): void {
  const completed = isCompleted(stats, ref);
  const pattern = completed ? stats.pattern.get(ref) : -1;
  const groupSeq = completed ? stats.groupSeq.get(ref) : -1;
  const was = counts.pattern.get(ref);
  const wasSeq = counts.groupSeq.get(ref);
  if (was === pattern && wasSeq === groupSeq) return;
  if (was >= 0) {
    counts.count[was] = (counts.count[was] as number) - 1;
    if (counts.first[was] === wasSeq) counts.stale = true;
    counts.pattern.set(ref, -1);
    counts.groupSeq.set(ref, -1);
  }
  if (pattern >= 0) add(counts, ref, pattern, groupSeq);
}

/** The `limit` most frequent patterns, by count descending, ties by first group position (as the walk ranks them). */
export function topPatterns(holder: { patterns: PatternCounts | null }, stats: WorkflowStatsState, limit: number): Array<{ pattern: string; count: number }> {
  if (holder.patterns === null || holder.patterns.stale) holder.patterns = buildPatternCounts(stats);
  const { count, first } = holder.patterns;
  const ahead = (a: number, b: number) => (count[b] as number) - (count[a] as number) || (first[a] as number) - (first[b] as number);
  // The first `limit` in one pass (sorting every pattern took ~1.5 ms per snapshot at 30k
  // workflows); a pattern goes after those it ties with, as the stable sort placed it.
  const top: number[] = [];
  for (let p = 0; p < count.length; p++) {
    if ((count[p] ?? 0) <= 0) continue;
    let at = top.length;
    while (at > 0 && ahead(p, top[at - 1] as number) < 0) at--;
    if (at >= limit) continue;
    top.splice(at, 0, p);
    if (top.length > limit) top.pop();
  }
  return top.map((p) => ({ pattern: stats.patternNames.at(p), count: count[p] as number }));
}
