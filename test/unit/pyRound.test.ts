import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pyRound } from '../../src/domain/pyRound.js';

/** The exact binary value of a finite double: mantissa x 2^exponent. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { mantissa: sign * fraction, exponent: -1074 };
  return { mantissa: sign * (fraction | (1n << 52n)), exponent: biased - 1075 };
}

/**
 * Python's round(x, digits), independently: round the exact value x x 10^digits to the nearest
 * integer, ties to even, then take the double nearest to that decimal (as float(repr) does).
 */
function pythonRound(x: number, digits: number): number {
  const { mantissa, exponent } = decompose(x);
  if (exponent >= 0) return x;
  const num = mantissa * 10n ** BigInt(digits);
  const den = 1n << BigInt(-exponent);
  const negative = num < 0n;
  const abs = negative ? -num : num;
  let q = abs / den;
  const twice = (abs % den) * 2n;
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  const value = Number(`${q}e-${digits}`);
  return negative ? -value : value;
}

describe('pyRound', () => {
  it.each([
    // [x, digits, Python's round(x, digits)]
    [2.675, 2, 2.67], // the double is 2.67499999..
    [0.125, 2, 0.12], // exact tie, 2 is even
    [0.375, 2, 0.38], // exact tie, 7 is odd
    [2.5, 0, 2],
    [3.5, 0, 4],
    [0.5, 0, 0],
    [1.5, 0, 2],
    [-0.125, 2, -0.12],
    [-2.5, 0, -2],
    [-1.5, 0, -2],
    [1.005, 2, 1.0], // the double is 1.00499999..
    [0.0005, 3, 0.001], // the double is 0.000500000000000000010..
    [0.045, 2, 0.04],
    [12.345, 2, 12.35],
    [0.285, 2, 0.28],
    [0.15, 1, 0.1],
    [0.25, 1, 0.2],
    [0.35, 1, 0.3],
    [4.35, 1, 4.3],
    [2 / 3, 3, 0.667],
    [1 / 3, 3, 0.333],
    [0.8004, 3, 0.8],
    [35.5 / 3, 2, 11.83],
    [1234.5678, 2, 1234.57],
    [0.1 + 0.2, 1, 0.3],
    [1.0000000000000002, 2, 1],
    [5e-324, 3, 0],
    [2 ** 52 + 0.5, 0, 2 ** 52], // tie at integer scale, 2^52 is even
    [1e22, 2, 1e22],
    [7, 2, 7],
  ])('round(%s, %s) = %s', (x, digits, expected) => {
    expect(pyRound(x, digits)).toBe(expected);
  });

  it('keeps non-finite values and returns +0 for zero results', () => {
    expect(pyRound(NaN, 2)).toBeNaN();
    expect(pyRound(Infinity, 2)).toBe(Infinity);
    expect(pyRound(-Infinity, 2)).toBe(-Infinity);
    expect(Object.is(pyRound(0, 2), 0)).toBe(true);
    expect(Object.is(pyRound(-0, 2), 0)).toBe(true);
    // Python gives -0.0 here; ours +0 (prints as 0 in JSON either way)
    expect(Object.is(pyRound(-0.001, 2), 0)).toBe(true);
  });

  it('agrees with an exact half-to-even reference on arbitrary doubles', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 6 }), (x, digits) => {
        expect(pyRound(x, digits)).toBe(pythonRound(x, digits) || 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on exact ties k / 2^j (where toFixed would round up)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 4 }), (k, j, digits) => {
        const x = (2 * k + 1) / 2 ** j;
        expect(pyRound(x, digits)).toBe(pythonRound(x, digits) || 0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('pyRound: the fast path away from ties', () => {
  /** The exact-binary-value algorithm alone (what pyRound does near a tie), as the reference. */
  function exactRound(x: number, digits: number): number {
    if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
    const sign = x < 0 ? -1 : 1;
    const a = Math.abs(x);
    if (a >= 1e21) return x;
    const exact = a.toFixed(100);
    const dot = exact.indexOf('.');
    const tail = exact.slice(dot + 1 + digits);
    let text = a.toFixed(digits);
    if (/^50*$/.test(tail)) {
      const truncated = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
      if (Number(truncated[truncated.length - 1]) % 2 === 0) text = truncated;
    }
    const result = sign * Number(text);
    return result === 0 ? 0 : result;
  }

  it('agrees with the exact algorithm for any double and 0-6 digits', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 1000)), fc.integer({ min: 0, max: 6 }), (x, digits) => {
        expect(Object.is(pyRound(x, digits), exactRound(x, digits))).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });
});
