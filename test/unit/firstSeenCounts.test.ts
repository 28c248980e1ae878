import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirstSeenCounts } from '../../src/projections/store/firstSeenCounts.js';

/** Live contributions by sequence number, as the ledger would hold them. */
type Live = Map<number, string>;

function refreshFrom(counts: FirstSeenCounts<string>, live: Live): void {
  counts.refresh((visit) => {
    for (const [seq, key] of live) visit(key, seq);
  });
}

/** Naive: counts and first-seen positions recomputed from the live contributions. */
function naive(live: Live): { order: string[]; common: Array<{ key: string; count: number }> } {
  const stats = new Map<string, { count: number; first: number }>();
  for (const [seq, key] of live) {
    const s = stats.get(key);
    if (s === undefined) stats.set(key, { count: 1, first: seq });
    else {
      s.count++;
      s.first = Math.min(s.first, seq);
    }
  }
  const entries = [...stats.entries()];
  return {
    order: [...entries].sort((a, b) => a[1].first - b[1].first).map(([k]) => k),
    common: [...entries].sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first).map(([key, s]) => ({ key, count: s.count })),
  };
}

describe('FirstSeenCounts', () => {
  it('orders by first-seen position and by count then first-seen', () => {
    const c = new FirstSeenCounts<string>();
    // b@0, a@1, c@2, a@3, c@4
    ['b', 'a', 'c', 'a', 'c'].forEach((key, seq) => c.add(key, seq));
    expect(c.keysInFirstSeenOrder()).toEqual(['b', 'a', 'c']);
    expect(c.mostCommon()).toEqual([
      { key: 'a', count: 2 },
      { key: 'c', count: 2 },
      { key: 'b', count: 1 },
    ]);
    expect(c.mostCommon(1)).toEqual([{ key: 'a', count: 2 }]);
    expect(c.count('a')).toBe(2);
    expect(c.count('zzz')).toBe(0);
    expect(c.size).toBe(3);
    expect(c.firstSeen('c')).toBe(2);
    expect(c.firstSeen('zzz')).toBe(Infinity);
  });

  it('a contribution added out of order lowers the first-seen position', () => {
    const c = new FirstSeenCounts<string>();
    c.add('x', 5);
    c.add('y', 3);
    c.add('x', 1);
    expect(c.keysInFirstSeenOrder()).toEqual(['x', 'y']);
    expect(c.needsRefresh).toBe(false);
  });

  it('removing the last contribution of a key drops the key', () => {
    const c = new FirstSeenCounts<string>();
    c.add('x', 0);
    c.remove('x', 0);
    expect(c.has('x')).toBe(false);
    expect(c.size).toBe(0);
    expect(c.needsRefresh).toBe(false);
    // removing an unknown key is a no-op
    c.remove('nope', 3);
    expect(c.size).toBe(0);
  });

  it('removing the minimum makes the key stale until refreshed from the live contributions', () => {
    const c = new FirstSeenCounts<string>();
    const live: Live = new Map([[0, 'x'], [1, 'y'], [2, 'x']]);
    for (const [seq, key] of live) c.add(key, seq);
    // retract x@0: x's first position is now 2, after y@1
    c.remove('x', 0);
    live.delete(0);
    expect(c.needsRefresh).toBe(true);
    refreshFrom(c, live);
    expect(c.needsRefresh).toBe(false);
    expect(c.keysInFirstSeenOrder()).toEqual(['y', 'x']);
    expect(c.firstSeen('x')).toBe(2);
  });

  it('re-adding at or below the removed minimum (a replaced record keeps its position) is exact again', () => {
    const c = new FirstSeenCounts<string>();
    c.add('x', 0);
    c.add('x', 2);
    c.remove('x', 0);
    c.add('x', 0);
    expect(c.needsRefresh).toBe(false);
    expect(c.firstSeen('x')).toBe(0);
    expect(c.count('x')).toBe(2);
  });

  it('re-adding above the removed minimum stays stale', () => {
    const c = new FirstSeenCounts<string>();
    c.add('x', 0);
    c.add('x', 4);
    c.remove('x', 0);
    c.add('x', 6);
    expect(c.needsRefresh).toBe(true);
    refreshFrom(c, new Map([[4, 'x'], [6, 'x']]));
    expect(c.firstSeen('x')).toBe(4);
  });

  it('`by` adds and removes several at once', () => {
    const c = new FirstSeenCounts<string>();
    c.add('x', 0, 3);
    c.remove('x', 5, 2);
    expect(c.count('x')).toBe(1);
    expect(c.firstSeen('x')).toBe(0);
  });

  it('after any adds, removes and replacements, the orders equal a recount of what is live', () => {
    // op: [kind 0 add | 1 remove | 2 replace, key index, pick]
    const op = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.nat());
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 60 }), (ops, refreshAt) => {
        const keys = ['a', 'b', 'c', 'd'];
        const counts = new FirstSeenCounts<string>();
        const live: Live = new Map();
        let nextSeq = 0;
        ops.forEach(([kind, k, pick], n) => {
          const key = keys[k] as string;
          const seqs = [...live.keys()];
          if (kind === 0 || seqs.length === 0) {
            counts.add(key, nextSeq);
            live.set(nextSeq++, key);
          } else {
            const seq = seqs[pick % seqs.length] as number;
            counts.remove(live.get(seq) as string, seq);
            live.delete(seq);
            if (kind === 2) {
              counts.add(key, seq);
              live.set(seq, key);
            }
          }
          // sometimes read in between, as a live query would
          if (refreshAt[n] === 0) refreshFrom(counts, live);
        });
        refreshFrom(counts, live);
        const expected = naive(live);
        expect(counts.keysInFirstSeenOrder()).toEqual(expected.order);
        expect(counts.mostCommon()).toEqual(expected.common);
        expect(counts.size).toBe(expected.order.length);
      }),
      { numRuns: 1000 },
    );
  });
});
