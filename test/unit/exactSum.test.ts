import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../src/domain/exactSum.js';

const sumOf = (values: readonly number[]): number => {
  const sum = new ExactSum();
  for (const v of values) sum.add(v);
  return sum.value();
};

/**
 * Dyadic doubles m x 2^e with |m| < 2^53 and e in [-60, 60]: exactly representable, and their
 * exact sum is an integer once scaled by 2^60, so BigInt gives the true sum.
 */
const SCALE = 60;
const dyadic = fc
  .tuple(fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }), fc.integer({ min: -SCALE, max: SCALE }))
  .map(([m, e]) => ({ value: Number(m) * 2 ** e, scaled: m << BigInt(e + SCALE) }));

/** The true sum, correctly rounded: Number(bigint) rounds half-to-even, and / 2^60 is exact here. */
function reference(items: ReadonlyArray<{ scaled: bigint }>): number {
  const total = items.reduce((acc, item) => acc + item.scaled, 0n);
  return Number(total) / 2 ** SCALE;
}

function permuted<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, n) => ({ item, key: keys[n] ?? 0, n }))
    .sort((a, b) => a.key - b.key || a.n - b.n)
    .map(({ item }) => item);
}

describe('ExactSum', () => {
  it('is 0 when empty and after adding then retracting the same value', () => {
    expect(new ExactSum().value()).toBe(0);
    const s = new ExactSum();
    s.add(0.1);
    s.add(-0.1);
    expect(s.value()).toBe(0);
    s.add(2.5);
    expect(s.value()).toBe(2.5);
  });

  it('matches math.fsum on known cases (including the half-even correction)', () => {
    // 0.1 x 10: the naive sum is 0.9999999999999999
    expect(sumOf(Array(10).fill(0.1))).toBe(1);
    expect(sumOf([1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50])).toBe(1e-100);
    // CPython test_fsum cases where the last partials decide the rounding
    expect(sumOf([2 ** 53, -0.5, -(2 ** -54)])).toBe(2 ** 53 - 1);
    expect(sumOf([2 ** 53, 1.0, 2 ** -100])).toBe(2 ** 53 + 2);
    expect(sumOf([2 ** 53 + 10, 1.0, 2 ** -100])).toBe(2 ** 53 + 12);
    expect(sumOf([2 ** 53 - 4, 0.5, 2 ** -54])).toBe(2 ** 53 - 3);
    // sum(1/n for n in 1..1000) = 0x1.df11f45f4e61ap+2 (correctly rounded)
    expect(sumOf(Array.from({ length: 1000 }, (_, n) => 1 / (n + 1)))).toBe(7.485470860550345);
    // a tie that stays even: 2^53 + 1 is exactly between 2^53 and 2^53 + 2
    expect(sumOf([2 ** 53, 1])).toBe(2 ** 53);
  });

  it('equals the correctly rounded true sum (BigInt reference)', () => {
    fc.assert(
      fc.property(fc.array(dyadic, { maxLength: 40 }), (items) => {
        expect(sumOf(items.map((i) => i.value))).toBe(reference(items));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the identical value for any permutation of the same doubles', () => {
    fc.assert(
      fc.property(
        fc.array(dyadic, { maxLength: 40 }).chain((items) =>
          fc.tuple(fc.constant(items), fc.array(fc.integer(), { minLength: items.length, maxLength: items.length })),
        ),
        ([items, keys]) => {
          const values = items.map((i) => i.value);
          expect(sumOf(permuted(values, keys))).toBe(sumOf(values));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('add then retract in any interleaving leaves exactly the sum of what remains', () => {
    fc.assert(
      fc.property(
        fc.array(dyadic, { maxLength: 20 }),
        fc.array(dyadic, { maxLength: 20 }),
        fc.array(fc.integer(), { minLength: 60, maxLength: 60 }),
        (kept, retracted, keys) => {
          // each retracted value is added then removed; the removal must come after its addition
          type Op = { value: number; order: number };
          const ops: Op[] = [
            ...kept.map((k, n) => ({ value: k.value, order: keys[n] ?? 0 })),
            ...retracted.flatMap((r, n) => {
              const a = keys[20 + n] ?? 0;
              const b = keys[40 + n] ?? 0;
              return [
                { value: r.value, order: Math.min(a, b) },
                { value: -r.value, order: Math.max(a, b) },
              ];
            }),
          ];
          ops.sort((x, y) => x.order - y.order);
          const s = new ExactSum();
          for (const op of ops) s.add(op.value);
          expect(s.value()).toBe(reference(kept));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('addAll and the checkpoint form (toJSON / fromParts) keep the exact value', () => {
    fc.assert(
      fc.property(fc.array(dyadic, { maxLength: 20 }), fc.array(dyadic, { maxLength: 20 }), (xs, ys) => {
        const a = new ExactSum();
        for (const x of xs) a.add(x.value);
        const b = new ExactSum();
        for (const y of ys) b.add(y.value);
        a.addAll(b);
        expect(a.value()).toBe(reference([...xs, ...ys]));
        const restored = ExactSum.fromParts(JSON.parse(JSON.stringify(a)) as number[]);
        expect(restored.value()).toBe(a.value());
        restored.add(1);
        a.add(1);
        expect(restored.value()).toBe(a.value());
      }),
      { numRuns: 300 },
    );
  });
});
