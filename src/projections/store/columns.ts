/**
 * Growable typed-array columns: one number per row, no object per row. Why: per-invocation
 * state held as objects cost ~1.8 KB an invocation; a column costs its element size.
 * Rows never shrink (invocations are replaced, never removed).
 */

type TypedArray = Int32Array | Uint8Array | Float64Array | Uint32Array;
type TypedArrayOf<T extends TypedArray> = { new (length: number): T };

function grown<T extends TypedArray>(Kind: TypedArrayOf<T>, data: T, minLength: number, fill: number): T {
  let capacity = Math.max(16, data.length);
  while (capacity < minLength) capacity = Math.ceil(capacity * 1.5);
  const next = new Kind(capacity);
  next.set(data as never);
  if (fill !== 0) next.fill(fill, data.length);
  return next;
}

abstract class Column<T extends TypedArray> {
  protected data: T;
  /** Rows written so far (the highest row set + 1). */
  length = 0;

  protected constructor(
    private readonly Kind: TypedArrayOf<T>,
    /** What an unwritten row reads as. */
    private readonly fill: number,
  ) {
    this.data = new Kind(16);
    if (fill !== 0) this.data.fill(fill);
  }

  get(row: number): number {
    return row < this.length ? (this.data[row] as number) : this.fill;
  }

  set(row: number, value: number): void {
    if (row >= this.data.length) this.data = grown(this.Kind, this.data, row + 1, this.fill);
    this.data[row] = value;
    if (row >= this.length) this.length = row + 1;
  }

  /** The written rows, copied (a view would drag the spare capacity into a checkpoint). */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }

  /** Adopts `rows` (no copy: a restore should not copy megabytes twice); grows on the next write past it. */
  protected restoreFrom(rows: T): void {
    this.data = rows;
    this.length = rows.length;
  }
}

export class Int32Column extends Column<Int32Array> {
  constructor(fill = 0) {
    super(Int32Array, fill);
  }

  static from(rows: Int32Array, fill = 0): Int32Column {
    const column = new Int32Column(fill);
    column.restoreFrom(rows);
    return column;
  }
}

export class Uint8Column extends Column<Uint8Array> {
  constructor(fill = 0) {
    super(Uint8Array, fill);
  }

  static from(rows: Uint8Array, fill = 0): Uint8Column {
    const column = new Uint8Column(fill);
    column.restoreFrom(rows);
    return column;
  }
}

export class Float64Column extends Column<Float64Array> {
  constructor(fill = 0) {
    super(Float64Array, fill);
  }

  static from(rows: Float64Array, fill = 0): Float64Column {
    const column = new Float64Column(fill);
    column.restoreFrom(rows);
    return column;
  }
}
