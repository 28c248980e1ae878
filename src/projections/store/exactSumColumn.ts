import { ExactSum } from '../../domain/exactSum.js';
import { Float64Column } from './columns.js';

/**
 * One exact sum per row (see ExactSum) in two float columns. The exact value of a few
 * durations almost always fits in two non-overlapping doubles; a row whose sum needs more
 * moves to a full ExactSum, so the result is exact either way. (One difference from a bare
 * ExactSum: a row that only received -0 reads +0.)
 */
export class ExactSumColumn {
  private hi = new Float64Column();
  private lo = new Float64Column();
  private readonly wide = new Map<number, ExactSum>();
  private readonly scratch = new ExactSum();

  add(row: number, value: number): void {
    // Once per invocation in a replay: no lookup while no row is wide (almost always), and the
    // partials read in place rather than copied out.
    const wide = this.wide.size === 0 ? undefined : this.wide.get(row);
    if (wide !== undefined) {
      wide.add(value);
      return;
    }
    const sum = this.load(row);
    sum.add(value);
    const count = sum.partCount;
    if (count > 2) {
      this.wide.set(row, ExactSum.fromPartials(sum.toJSON()));
      return;
    }
    this.lo.set(row, count === 2 ? sum.partAt(0) : 0);
    this.hi.set(row, count === 0 ? 0 : sum.partAt(count - 1));
  }

  /** Adds the row's exact sum into `into`. */
  addTo(row: number, into: ExactSum): void {
    const wide = this.wide.get(row);
    if (wide !== undefined) {
      into.addAll(wide);
      return;
    }
    const lo = this.lo.get(row);
    if (lo !== 0) into.add(lo);
    into.add(this.hi.get(row));
  }

  value(row: number): number {
    const wide = this.wide.get(row);
    if (wide !== undefined) return wide.value();
    return this.load(row).value();
  }

  /** Whether the row's sum is exactly zero (nothing or everything retracted). */
  isZero(row: number): boolean {
    // A non-zero exact sum of doubles is at least the smallest subnormal: it never rounds to 0.
    const wide = this.wide.get(row);
    if (wide !== undefined) return wide.value() === 0;
    return this.hi.get(row) === 0 && this.lo.get(row) === 0;
  }

  private load(row: number): ExactSum {
    const sum = this.scratch;
    sum.clear();
    const lo = this.lo.get(row);
    if (lo !== 0) sum.add(lo);
    sum.add(this.hi.get(row));
    return sum;
  }

  toData(): ExactSumColumnData {
    return { hi: this.hi.toArray(), lo: this.lo.toArray(), wide: [...this.wide].map(([row, sum]) => [row, sum.toJSON()]) };
  }

  static fromData(data: ExactSumColumnData): ExactSumColumn {
    const column = new ExactSumColumn();
    column.hi = Float64Column.from(data.hi);
    column.lo = Float64Column.from(data.lo);
    for (const [row, parts] of data.wide) column.wide.set(row, ExactSum.fromPartials(parts));
    return column;
  }
}

export interface ExactSumColumnData {
  readonly hi: Float64Array;
  readonly lo: Float64Array;
  readonly wide: ReadonlyArray<readonly [number, readonly number[]]>;
}
