/**
 * A sum of floats that is exact until read (Shewchuk's partials, as Python's math.fsum).
 * Why: projections add and retract durations in whatever order events arrive; a naive
 * float sum would then depend on that order. The exact sum, rounded once when read, is the
 * same for every order, so batch, live and restored state agree to the last bit.
 */
export class ExactSum {
  private partials: number[] = [];

  add(value: number): void {
    const p = this.partials;
    p.length = addPartial(p, p.length, value);
  }

  clear(): void {
    this.partials.length = 0;
  }

  addAll(other: ExactSum): void {
    for (const part of other.partials) this.add(part);
  }

  /** The exact sum, correctly rounded to a double. */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half-even across the remaining partials, as fsum does.
    if (n > 0 && ((lo < 0 && (p[n - 1] as number) < 0) || (lo > 0 && (p[n - 1] as number) > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** The partials, for checkpoints; `fromParts` restores them. */
  toJSON(): number[] {
    return [...this.partials];
  }

  static fromParts(parts: readonly number[]): ExactSum {
    const sum = new ExactSum();
    for (const part of parts) sum.add(part);
    return sum;
  }

  /**
   * The partials exactly as `toJSON` gave them (a checkpoint), so a restored sum is the same
   * object state, not just the same value. Only for partials this class produced.
   */
  static fromPartials(parts: readonly number[]): ExactSum {
    const sum = new ExactSum();
    sum.partials = [...parts];
    return sum;
  }
}

/**
 * Adds `value` to the partials `p[0..count)` (smallest first, non-overlapping) in place and
 * returns how many there are now; `p` grows by one at most. ExactSum's step, shared with
 * ExactSumColumn, which keeps a row's few partials in one scratch array.
 */
export function addPartial(p: number[], count: number, value: number): number {
  let x = value;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    let y = p[j] as number;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[kept++] = lo;
    x = hi;
  }
  if (x !== 0 || kept === 0) p[kept++] = x;
  return kept;
}
