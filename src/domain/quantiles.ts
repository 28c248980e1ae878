/**
 * Exact quantiles of a list of numbers (sorted copy; no sketch): the lists here are the
 * gaps, ratios or durations of at most every invocation, so sorting them is cheap enough.
 * median: the middle value, or the mean of the two middle ones (Python's statistics.median).
 * p90: linear interpolation between closest ranks (numpy's default, rank 0.9 x (n - 1)).
 */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** `n`: how many of `sorted`'s first values count (a growable buffer passes its size, not a subarray per call). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number, n = sorted.length): number {
  if (n === 0) return NaN;
  const rank = q * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return lo === hi ? a : a + (b - a) * (rank - lo);
}

export function medianOfSorted(sorted: ArrayLike<number>, n = sorted.length): number {
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Spread {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
}

export function spreadOf(values: ArrayLike<number>): Spread {
  const sorted = sortedCopy(values);
  return { count: sorted.length, median: medianOfSorted(sorted), p90: quantileOfSorted(sorted, 0.9) };
}
