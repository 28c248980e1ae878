import { addPartial, ExactSum } from '../../domain/exactSum.js';
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
  /**
   * add's partials: parts[0..count), smallest first. A plain array (of doubles) as in ExactSum,
   * not a Float64Array: a NaN (Infinity - Infinity) then keeps the bits ExactSum gives it.
   */
  private readonly parts: number[] = [0.5, 0.5, 0.5];
  private count = 0;

  add(row: number, value: number): void {
    // Once per invocation in a replay: no lookup while no row is wide (almost always), and the
    // row's partials summed in a fixed array of three rather than an ExactSum's growing one.
    const wide = this.wide.size === 0 ? undefined : this.wide.get(row);
    if (wide !== undefined) {
      wide.add(value);
      return;
    }
    this.count = 0;
    const lo = this.lo.get(row);
    if (lo !== 0) this.addPart(lo);
    this.addPart(this.hi.get(row));
    this.addPart(value);
    const parts = this.parts;
    const count = this.count;
    if (count > 2) {
      this.wide.set(row, ExactSum.fromPartials(parts.slice(0, count)));
      return;
    }
    this.lo.set(row, count === 2 ? (parts[0] as number) : 0);
    this.hi.set(row, parts[count - 1] as number);
  }

  /** ExactSum.add over `parts[0..count)` (the same partials, so the same halves are stored). */
  private addPart(value: number): void {
    this.count = addPartial(this.parts, this.count, value);
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
