/**
 * Exact quantiles: median = the middle value, or the mean of the two middle ones; p90 = linear
 * interpolation at rank 0.9 x (n - 1) of the sorted values. Hand cases, then a property against
 * a naive definition written apart from the code under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { medianOfSorted, quantileOfSorted, sortedCopy, spreadOf } from '../../src/domain/quantiles.js';

describe('quantiles: by hand', () => {
  it.each([
    // values, median, p90
    [[5], 5, 5],
    [[1, 2], 1.5, 1.9], // rank 0.9: 1 + 1 x 0.9
    [[3, 1, 2], 2, 2.8], // sorted 1 2 3; rank 1.8: 2 + 1 x 0.8
    [[4, 1, 3, 2], 2.5, 3.7], // rank 2.7: 3 + 1 x 0.7
    [[0, 0, 0, 10], 0, 7], // rank 2.7: 0 + 10 x 0.7
    [[60, 300], 180, 276],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10], // rank 9 exactly: the 10th value
  ])('%j: median %d, p90 %d', (values, median, p90) => {
    const spread = spreadOf(values);
    expect(spread.count).toBe(values.length);
    expect(spread.median).toBe(median);
    expect(spread.p90).toBeCloseTo(p90, 12);
  });

  it('an empty list has no quantiles', () => {
    expect(spreadOf([])).toEqual({ count: 0, median: NaN, p90: NaN });
  });

  it('sorts numbers as numbers, and leaves the input alone', () => {
    const values = [10, 9, 100, -1];
    expect([...sortedCopy(values)]).toEqual([-1, 9, 10, 100]);
    expect(values).toEqual([10, 9, 100, -1]);
    expect(spreadOf(values).median).toBe(9.5);
  });
});

/** The textbook definitions, on a plain array sorted with an explicit comparator. */
function naive(values: readonly number[]): { median: number; p90: number } {
  const x = [...values].sort((a, b) => a - b);
  const n = x.length;
  const median = n % 2 === 1 ? (x[(n - 1) / 2] as number) : ((x[n / 2 - 1] as number) + (x[n / 2] as number)) / 2;
  const h = 0.9 * (n - 1);
  const f = h - Math.floor(h);
  const p90 = (1 - f) * (x[Math.floor(h)] as number) + f * (x[Math.min(n - 1, Math.floor(h) + 1)] as number);
  return { median, p90 };
}

describe('quantiles: against the naive definition', () => {
  const valuesArb = fc.array(
    fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })),
    { minLength: 1, maxLength: 60 },
  );

  it('median is the same number; p90 agrees to rounding and lies between its two neighbours', () => {
    fc.assert(
      fc.property(valuesArb, (values) => {
        const got = spreadOf(values);
        const want = naive(values);
        // + 0: -0 and 0 are the same median (the two sorts may order them differently)
        expect(got.median + 0).toBe(want.median + 0);
        const scale = Math.max(1, ...values.map(Math.abs));
        expect(Math.abs(got.p90 - want.p90)).toBeLessThanOrEqual(1e-12 * scale);
        const x = [...values].sort((a, b) => a - b);
        const h = 0.9 * (x.length - 1);
        expect(got.p90).toBeGreaterThanOrEqual(x[Math.floor(h)] as number);
        expect(got.p90).toBeLessThanOrEqual(x[Math.ceil(h)] as number);
        expect(got.p90).toBeGreaterThanOrEqual(got.median - 1e-12 * scale);
      }),
      { numRuns: 500 },
    );
  });

  it('medianOfSorted and quantileOfSorted read a sorted list without sorting it again', () => {
    fc.assert(
      fc.property(valuesArb, (values) => {
        const sorted = sortedCopy(values);
        expect(medianOfSorted(sorted)).toBe(spreadOf(values).median);
        expect(quantileOfSorted(sorted, 0)).toBe(sorted[0]);
        expect(quantileOfSorted(sorted, 1)).toBe(sorted[sorted.length - 1]);
      }),
      { numRuns: 300 },
    );
  });
});
