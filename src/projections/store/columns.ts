/**
 * Growable typed-array columns: one number per row, no object per row. Why: per-invocation
 * state held as objects cost ~1.8 KB an invocation; a column costs its element size.
 * Rows never shrink (invocations are replaced, never removed).
 */

type TypedArray = Int32Array | Uint8Array | Float64Array | Uint32Array;
type TypedArrayOf<T extends TypedArray> = { new (length: number): T };

/**
 * Growth by a quarter: a column holds at most 25% spare rows (12% on average) where doubling
 * would hold up to half; copying 4x the rows over a column's life instead of 2x costs little
 * next to folding them.
 */
const GROWTH = 1.25;

function grown<T extends TypedArray>(Kind: TypedArrayOf<T>, data: T, minLength: number, fill: number): T {
  let capacity = Math.max(16, data.length);
  while (capacity < minLength) capacity = Math.ceil(capacity * GROWTH) + 16;
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

export type RefRows = Uint8Array | Uint16Array | Int32Array;

/**
 * Pooled-string numbers (-1 for null), held in the narrowest array their largest value fits:
 * bytes while a pool has under 255 strings (agent names, types, task types: the usual case),
 * then 16 bits, then 32. Why: these were four 32-bit columns of mostly tiny numbers, ~15 bytes
 * an invocation. Stored as ref + 1 so null is 0 and every kind starts zero-filled.
 */
export class RefColumn {
  private data: RefRows = new Uint8Array(16);
  /** The largest value `data`'s kind holds. */
  private limit = 0xff;
  /** Rows written so far (the highest row set + 1). */
  length = 0;

  get(row: number): number {
    return row < this.length ? (this.data[row] as number) - 1 : -1;
  }

  set(row: number, ref: number): void {
    const stored = ref + 1;
    if (stored > this.limit) {
      this.data = widened(this.data, stored);
      this.limit = limitOf(this.data);
    }
    if (row >= this.data.length) this.data = grownRefs(this.data, row + 1);
    this.data[row] = stored;
    if (row >= this.length) this.length = row + 1;
  }

  /** The written rows as stored (ref + 1), copied: see Column.toArray. */
  toArray(): RefRows {
    return this.data.slice(0, this.length);
  }

  /** Adopts rows from toArray (no copy). */
  static from(rows: RefRows): RefColumn {
    const column = new RefColumn();
    column.data = rows;
    column.limit = limitOf(rows);
    column.length = rows.length;
    return column;
  }
}

function limitOf(data: RefRows): number {
  return data instanceof Uint8Array ? 0xff : data instanceof Uint16Array ? 0xffff : 0x7fffffff;
}

function widened(data: RefRows, stored: number): RefRows {
  if (stored > 0x7fffffff) throw new RangeError(`ref ${stored - 1} past a 32-bit column`);
  const next = stored <= 0xffff ? new Uint16Array(data.length) : new Int32Array(data.length);
  next.set(data);
  return next;
}

function grownRefs(data: RefRows, minLength: number): RefRows {
  let capacity = Math.max(16, data.length);
  while (capacity < minLength) capacity = Math.ceil(capacity * GROWTH) + 16;
  const next = data instanceof Uint8Array ? new Uint8Array(capacity) : data instanceof Uint16Array ? new Uint16Array(capacity) : new Int32Array(capacity);
  next.set(data);
  return next;
}

/**
 * Numbers held in the narrowest array that holds every value written exactly: bytes while all
 * are whole numbers 0-255 (ratings 1-5 and "unrated" 0), then 32-bit floats while each is
 * exactly one (halves, NaN), then 64-bit floats. Reads are always exact. Why: per-invocation
 * ratings were 8 bytes each where 1 holds them.
 */
export class ExactFloatColumn {
  private data: Uint8Array | Float32Array | Float64Array;
  /** 0: bytes, 1: 32-bit floats, 2: 64-bit floats. */
  private level: number;
  /** Rows written so far (the highest row set + 1). */
  length = 0;

  constructor(private readonly fill = 0) {
    this.level = levelOf(fill);
    this.data = arrayOf(this.level, 16).fill(fill);
  }

  get(row: number): number {
    return row < this.length ? (this.data[row] as number) : this.fill;
  }

  set(row: number, value: number): void {
    if (this.level < 2) {
      const level = levelOf(value);
      if (level > this.level) this.widen(level);
    }
    if (row >= this.data.length) {
      let capacity = this.data.length;
      while (capacity <= row) capacity = Math.ceil(capacity * GROWTH) + 16;
      const next = arrayOf(this.level, capacity);
      next.set(this.data);
      if (this.fill !== 0) next.fill(this.fill, this.data.length);
      this.data = next;
    }
    this.data[row] = value;
    if (row >= this.length) this.length = row + 1;
  }

  /** The written rows, copied: see Column.toArray. */
  toArray(): Uint8Array | Float32Array | Float64Array {
    return this.data.slice(0, this.length);
  }

  /** Adopts rows from toArray (no copy). */
  static from(rows: Uint8Array | Float32Array | Float64Array, fill = 0): ExactFloatColumn {
    const column = new ExactFloatColumn(fill);
    column.data = rows;
    column.level = rows instanceof Uint8Array ? 0 : rows instanceof Float32Array ? 1 : 2;
    column.length = rows.length;
    if (levelOf(fill) > column.level) column.widen(levelOf(fill));
    return column;
  }

  private widen(level: number): void {
    const next = arrayOf(level, this.data.length);
    next.set(this.data);
    this.data = next;
    this.level = level;
  }
}

function levelOf(value: number): number {
  if (Number.isInteger(value) && value >= 0 && value <= 255 && !Object.is(value, -0)) return 0;
  return Object.is(Math.fround(value), value) || Number.isNaN(value) ? 1 : 2;
}

function arrayOf(level: number, length: number): Uint8Array | Float32Array | Float64Array {
  return level === 0 ? new Uint8Array(length) : level === 1 ? new Float32Array(length) : new Float64Array(length);
}
