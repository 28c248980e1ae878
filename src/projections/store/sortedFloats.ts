import { medianOfSorted, quantileOfSorted } from '../../domain/quantiles.js';

/**
 * A multiset of numbers kept sorted in one growable Float64Array: insert and remove by binary
 * search and a shift. Why not a tree: the sets here (the gaps of one transition pair, the
 * durations of one agent, estimate ratios) hold at most every invocation, and a memmove of a
 * few hundred kilobytes is cheaper than a node per value. Order is that of Float64Array#sort
 * (-0 before 0), so the median and p90 (domain/quantiles.ts's formulas, read on the buffer
 * with its size) are those of a sorted copy.
 */
export class SortedFloats {
  private data: Float64Array = new Float64Array(4);
  size = 0;
  /** Moves on every change: what a reader keeps figures of this set against (not checkpointed). */
  revision = 0;

  /** First index whose value is not before `value`. */
  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.size;
    const data = this.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(data[mid] as number, value)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(value: number): void {
    if (this.size === this.data.length) {
      const next = new Float64Array(Math.ceil(this.data.length * 1.5) + 4);
      next.set(this.data);
      this.data = next;
    }
    const at = this.lowerBound(value);
    this.data.copyWithin(at + 1, at, this.size);
    this.data[at] = value;
    this.size++;
    this.revision++;
  }

  /** Removes one copy of `value`; false when there is none. */
  remove(value: number): boolean {
    const at = this.lowerBound(value);
    if (at >= this.size || !Object.is(this.data[at], value)) return false;
    this.data.copyWithin(at, at + 1, this.size);
    this.size--;
    this.revision++;
    return true;
  }

  /** The values in order, copied (a checkpoint). */
  toArray(): Float64Array {
    return this.data.slice(0, this.size);
  }

  /** Adopts values already in this order (a checkpoint's `toArray`), without a copy. */
  static from(sorted: Float64Array): SortedFloats {
    const set = new SortedFloats();
    set.data = sorted;
    set.size = sorted.length;
    return set;
  }

  /** The values in order (a view: valid until the next change). */
  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  median(): number {
    return medianOfSorted(this.data, this.size);
  }

  quantile(q: number): number {
    return quantileOfSorted(this.data, q, this.size);
  }
}

/** Float64Array#sort's order: -0 before 0 (NaN never enters these sets). */
function before(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && Object.is(a, -0) && !Object.is(b, -0));
}
