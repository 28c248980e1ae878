import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactFloatColumn, Float64Column, Int32Column, RefColumn, Uint8Column } from '../../src/projections/store/columns.js';

/** Writes as (row, value) pairs, applied in order; later writes to a row win. */
type Write = readonly [number, number];

/** Reference model: a plain Map of the last value written per row. */
function modelOf(writes: readonly Write[]): { values: Map<number, number>; length: number } {
  const values = new Map<number, number>();
  let length = 0;
  for (const [row, value] of writes) {
    values.set(row, value);
    length = Math.max(length, row + 1);
  }
  return { values, length };
}

function readRows(column: { get(row: number): number }, count: number): number[] {
  return Array.from({ length: count }, (_, r) => column.get(r));
}

const row = fc.nat({ max: 300 });
const int32Writes = fc.array(fc.tuple(row, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { maxLength: 60 });
const uint8Writes = fc.array(fc.tuple(row, fc.integer({ min: 0, max: 255 })), { maxLength: 60 });
const float64Writes = fc.array(fc.tuple(row, fc.double()), { maxLength: 60 });

describe('Int32Column / Uint8Column / Float64Column', () => {
  it('reads unwritten rows as the fill value, before and after growth', () => {
    // given columns with fills -1 (Int32), NaN (Float64), 7 (Uint8) and the default 0
    const ints = new Int32Column(-1);
    const floats = new Float64Column(NaN);
    const bytes = new Uint8Column(7);
    const zeros = new Int32Column();

    // then every row reads as the fill while nothing is written
    expect(ints.get(0)).toBe(-1);
    expect(floats.get(0)).toBeNaN();
    expect(bytes.get(3)).toBe(7);
    expect(zeros.get(5)).toBe(0);
    expect(ints.length).toBe(0);

    // when one far row is written (past the initial capacity)
    ints.set(1000, 42);
    floats.set(1000, 2.5);
    bytes.set(1000, 200);
    zeros.set(1000, 9);

    // then rows before it (inside and beyond the old capacity) and after it read as the fill
    for (const r of [0, 15, 16, 17, 500, 999, 1001, 100_000]) {
      expect(ints.get(r)).toBe(-1);
      expect(floats.get(r)).toBeNaN();
      expect(bytes.get(r)).toBe(7);
      expect(zeros.get(r)).toBe(0);
    }
    expect([ints.get(1000), floats.get(1000), bytes.get(1000), zeros.get(1000)]).toEqual([42, 2.5, 200, 9]);
    expect([ints.length, floats.length, bytes.length, zeros.length]).toEqual([1001, 1001, 1001, 1001]);
  });

  it('keeps earlier values while growing one row at a time over many rows', () => {
    // given 20,000 rows written in order
    const ints = new Int32Column(-1);
    const floats = new Float64Column(NaN);
    const bytes = new Uint8Column();
    const n = 20_000;

    // when each row is written
    for (let r = 0; r < n; r++) {
      ints.set(r, r * 3 - 7);
      floats.set(r, r / 7);
      bytes.set(r, r % 251);
    }

    // then every value is still there and length counts them all
    const bad = Array.from({ length: n }, (_, r) => r).find(
      (r) => ints.get(r) !== r * 3 - 7 || floats.get(r) !== r / 7 || bytes.get(r) !== r % 251,
    );
    expect(bad).toBeUndefined();
    expect([ints.length, floats.length, bytes.length]).toEqual([n, n, n]);
    expect(ints.get(n)).toBe(-1);
    expect(floats.get(n)).toBeNaN();
  });

  it('stores values with the element type of the column (int32 wraps, uint8 wraps, float64 is exact)', () => {
    const ints = new Int32Column();
    const bytes = new Uint8Column();
    const floats = new Float64Column();
    ints.set(0, 2 ** 31);
    bytes.set(0, 256 + 5);
    floats.set(0, 0.1 + 0.2);
    expect(ints.get(0)).toBe(-(2 ** 31));
    expect(bytes.get(0)).toBe(5);
    expect(floats.get(0)).toBe(0.30000000000000004);
  });

  it('matches a Map model for random writes, and toArray has exactly `length` rows', () => {
    fc.assert(
      fc.property(int32Writes, fc.integer({ min: -5, max: 5 }), (writes, fill) => {
        // given random writes to an Int32Column with a random fill
        const column = new Int32Column(fill);
        for (const [r, v] of writes) column.set(r, v);
        const model = modelOf(writes);

        // then length, each row (written or not) and toArray agree with the model
        expect(column.length).toBe(model.length);
        const array = column.toArray();
        expect(array).toBeInstanceOf(Int32Array);
        expect(array.length).toBe(model.length);
        const expected = Array.from({ length: model.length + 3 }, (_, r) => model.values.get(r) ?? fill);
        expect(readRows(column, expected.length)).toEqual(expected);
        expect(Array.from(array)).toEqual(expected.slice(0, model.length));
      }),
      { numRuns: 300 },
    );
  });

  it('toArray is a copy: later writes do not change it', () => {
    const column = new Float64Column(NaN);
    column.set(2, 1.5);
    const array = column.toArray();
    column.set(2, 9);
    column.set(0, 3);
    expect(Array.from(array)).toEqual([NaN, NaN, 1.5]);
    array[1] = 4;
    expect(column.get(1)).toBeNaN();
  });

  it('from(toArray()) round-trips every row and the fill, and the restored column keeps growing', () => {
    fc.assert(
      fc.property(int32Writes, uint8Writes, float64Writes, (iw, uw, fw) => {
        // given three columns with random writes
        const ints = new Int32Column(-1);
        const bytes = new Uint8Column();
        const floats = new Float64Column(NaN);
        for (const [r, v] of iw) ints.set(r, v);
        for (const [r, v] of uw) bytes.set(r, v);
        for (const [r, v] of fw) floats.set(r, v);

        // when each is restored from a (cloned, as in a checkpoint) copy of its rows
        const ints2 = Int32Column.from(structuredClone(ints.toArray()), -1);
        const bytes2 = Uint8Column.from(structuredClone(bytes.toArray()));
        const floats2 = Float64Column.from(structuredClone(floats.toArray()), NaN);

        // then every row reads the same (Object.is: NaN and -0 too) and lengths are kept
        expect([ints2.length, bytes2.length, floats2.length]).toEqual([ints.length, bytes.length, floats.length]);
        expect(readRows(ints2, 306)).toEqual(readRows(ints, 306));
        expect(readRows(bytes2, 306)).toEqual(readRows(bytes, 306));
        const floatRows = readRows(floats, 306);
        expect(readRows(floats2, 306).every((v, r) => Object.is(v, floatRows[r]))).toBe(true);

        // and writing past the end of the restored column still leaves fill-valued gaps
        const far = Math.max(ints2.length, floats2.length, 16) + 40;
        ints2.set(far, 1);
        floats2.set(far, 1);
        expect(ints2.get(far - 1)).toBe(-1);
        expect(floats2.get(far - 1)).toBeNaN();
        expect(ints2.length).toBe(far + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('from() of an empty array is an empty column reading the fill', () => {
    const column = Float64Column.from(new Float64Array(0), NaN);
    expect(column.length).toBe(0);
    expect(column.get(0)).toBeNaN();
    column.set(20, 1);
    expect(column.get(19)).toBeNaN();
    expect(column.toArray().length).toBe(21);
  });
});

describe('RefColumn', () => {
  const refWrites = fc.array(
    fc.tuple(row, fc.oneof(fc.integer({ min: -1, max: 300 }), fc.integer({ min: -1, max: 70_000 }), fc.integer({ min: -1, max: 2 ** 31 - 2 }))),
    { maxLength: 60 },
  );

  it('matches a Map model for refs of any width, unwritten rows reading -1, and round-trips through toArray/from', () => {
    fc.assert(
      fc.property(refWrites, (writes) => {
        const column = new RefColumn();
        for (const [r, ref] of writes) column.set(r, ref);
        const model = modelOf(writes);
        const expected = Array.from({ length: model.length + 5 }, (_, r) => model.values.get(r) ?? -1);
        expect(readRows(column, model.length + 5)).toEqual(expected);
        expect(column.length).toBe(model.length);
        const restored = RefColumn.from(column.toArray());
        expect(readRows(restored, model.length + 5)).toEqual(expected);
        // a restored column keeps taking wider refs
        restored.set(model.length, 2 ** 31 - 2);
        expect(restored.get(model.length)).toBe(2 ** 31 - 2);
        expect(readRows(restored, model.length)).toEqual(expected.slice(0, model.length));
      }),
      { numRuns: 300 },
    );
  });

  it('holds small refs in bytes and widens to 16 then 32 bits only when a ref needs it', () => {
    const column = new RefColumn();
    for (let r = 0; r < 100; r++) column.set(r, r % 7 === 0 ? -1 : 200);
    expect(column.toArray()).toBeInstanceOf(Uint8Array);
    column.set(100, 254);
    expect(column.toArray()).toBeInstanceOf(Uint8Array);
    column.set(101, 255);
    expect(column.toArray()).toBeInstanceOf(Uint16Array);
    column.set(102, 65_535);
    expect(column.toArray()).toBeInstanceOf(Int32Array);
    expect([column.get(0), column.get(1), column.get(100), column.get(101), column.get(102)]).toEqual([-1, 200, 254, 255, 65_535]);
  });
});

describe('ExactFloatColumn', () => {
  const value = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -300, max: 300 }), fc.constantFrom(0.5, 4.5, -0, NaN, 255, 256), fc.double());

  it('reads back exactly every value written (32-bit ones and any other double), fills and -0 included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(row, value), { maxLength: 60 }), fc.constantFrom(0, NaN, 0.1, 3), (writes, fill) => {
        const column = new ExactFloatColumn(fill);
        for (const [r, v] of writes) column.set(r, v);
        const model = modelOf(writes);
        const expected = Array.from({ length: model.length + 5 }, (_, r) => (model.values.has(r) ? model.values.get(r) : fill));
        expect(readRows(column, model.length + 5)).toEqual(expected);
        expect(readRows(ExactFloatColumn.from(column.toArray(), fill), model.length + 5)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('holds ratings in bytes, widens to 32 bits at the first fraction and to 64 at the first value that needs it', () => {
    const column = new ExactFloatColumn();
    for (let r = 0; r < 50; r++) column.set(r, (r % 5) + 1);
    expect(column.toArray()).toBeInstanceOf(Uint8Array);
    column.set(60, 4.5);
    expect(column.toArray()).toBeInstanceOf(Float32Array);
    column.set(61, 4.3);
    expect(column.toArray()).toBeInstanceOf(Float64Array);
    expect([column.get(0), column.get(55), column.get(60), column.get(61)]).toEqual([1, 0, 4.5, 4.3]);
  });
});
