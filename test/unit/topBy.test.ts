/**
 * topBy keeps the `limit` largest keys (ties: smaller id first) without sorting everything when
 * the limit is small. Whichever way it goes, the answer is the full sort's first `limit`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byText } from '../../src/domain/byText.js';
import { topBy } from '../../src/projections/views/topBy.js';

interface Item {
  readonly at: number;
  readonly id: string;
  readonly key: number;
}

const key = (item: Item): number => item.key;
const id = (item: Item): string => item.id;

/** The definition: a stable full sort by key descending, then id, then the first `limit`. */
function fullSortThenSlice(items: readonly Item[], limit: number): Item[] {
  return [...items].sort((a, b) => b.key - a.key || byText(a.id, b.id)).slice(0, limit);
}

describe('topBy', () => {
  it('by hand: largest first, ties by id, whichever path it takes', () => {
    const items = ['c', 'a', 'b', 'd', 'e', 'f', 'g', 'h', 'i'].map((name, at) => ({ at, id: name, key: name < 'c' ? 5 : at }));
    // keys: c 0, a 5, b 5, d 3, e 4, f 5, g 6, h 7, i 8
    expect(topBy(items, 1, key, id).map(id)).toEqual(['i']); // 1 < 9 / 8: the small-limit scan
    expect(topBy(items, 6, key, id).map(id)).toEqual(['i', 'h', 'g', 'a', 'b', 'f']); // the full sort
    const many = [...items, ...Array.from({ length: 40 }, (_, at) => ({ at: 9 + at, id: `z${at}`, key: 5 }))];
    expect(topBy(many, 5, key, id).map(id)).toEqual(['i', 'h', 'g', 'a', 'b']); // 5 < 49 / 8: the scan, through ties
    expect(topBy(items, Infinity, key, id)).toHaveLength(9);
  });

  it('a limit of 0 (or less) keeps nothing', () => {
    const items = Array.from({ length: 20 }, (_, at) => ({ at, id: `i${at}`, key: at }));
    expect(topBy(items, 0, key, id)).toEqual([]);
    expect(topBy(items, -1, key, id)).toEqual([]);
    expect(topBy([], 3, key, id)).toEqual([]);
  });

  it('property: equals the full sort then slice (ids and keys from small pools, so ties are common)', () => {
    const itemsArb = fc
      .array(fc.record({ id: fc.constantFrom('a', 'b', 'B', 'aa', '', '__proto__', 'é'), key: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true })) }), {
        maxLength: 200,
      })
      .map((list) => list.map((item, at) => ({ at, ...item })));
    fc.assert(
      fc.property(itemsArb, fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(Infinity)), (items, limit) => {
        // identical (key, id) pairs stay in input order in both: compare positions, not just values
        expect(topBy(items, limit, key, id).map((item) => item.at)).toEqual(fullSortThenSlice(items, limit).map((item) => item.at));
      }),
      { numRuns: 500 },
    );
  });
});
