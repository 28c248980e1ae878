import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskTexts } from '../../src/projections/store/taskTexts.js';

/** Rows written in order, some rewritten later; a model list says what each row holds. */
const scenario = fc.record({
  blockRows: fc.integer({ min: 1, max: 5 }),
  texts: fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ab', 'é', ' ') , maxLength: 6 }), { maxLength: 30 }),
  rewrites: fc.array(fc.tuple(fc.nat(), fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 5 })), { maxLength: 10 }),
  needle: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é'), minLength: 1, maxLength: 3 }),
});

function build(blockRows: number, texts: readonly string[], rewrites: ReadonlyArray<readonly [number, string]>) {
  const store = new TaskTexts(blockRows);
  const model: string[] = [];
  texts.forEach((text, row) => {
    store.set(row, text);
    model[row] = text;
  });
  for (const [at, text] of rewrites) {
    if (model.length === 0) break;
    const row = at % model.length;
    store.set(row, text);
    model[row] = text;
  }
  return { store, model };
}

function hitsOf(store: TaskTexts, needle: string): number[] {
  const rows: number[] = [];
  store.forEachContaining(needle, (row) => rows.push(row));
  return rows.sort((a, b) => a - b);
}

describe('TaskTexts', () => {
  it('reads back every row, sealed or open, rewritten or not', () => {
    fc.assert(
      fc.property(scenario, ({ blockRows, texts, rewrites }) => {
        const { store, model } = build(blockRows, texts, rewrites);
        expect(store.size).toBe(model.length);
        expect(model.map((_, row) => store.at(row))).toEqual(model);
      }),
      { numRuns: 500 },
    );
  });

  it('finds each row containing the needle exactly once, never a match across two rows', () => {
    fc.assert(
      fc.property(scenario, ({ blockRows, texts, rewrites, needle }) => {
        const { store, model } = build(blockRows, texts, rewrites);
        const expected = model.flatMap((text, row) => (text.includes(needle) ? [row] : []));
        expect(hitsOf(store, needle)).toEqual(expected);
        // and counting adds one per such row, as best-agent counts keyword hits
        const counts = new Float64Array(model.length);
        store.countContaining(needle, counts);
        store.countContaining(needle, counts);
        expect([...counts]).toEqual(model.map((text) => (text.includes(needle) ? 2 : 0)));
      }),
      { numRuns: 1000 },
    );
  });

  it('asked again as rows are added, sealed and rewritten, still finds exactly the rows holding the needle', () => {
    // The hits of sealed blocks are remembered per needle: every search in between must stay right.
    fc.assert(
      fc.property(scenario, fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }), ({ blockRows, texts, rewrites, needle }, others) => {
        const store = new TaskTexts(blockRows);
        const model: string[] = [];
        const check = () => {
          for (const n of [needle, ...others]) {
            expect(hitsOf(store, n)).toEqual(model.flatMap((text, row) => (text.includes(n) ? [row] : [])));
          }
        };
        texts.forEach((text, row) => {
          store.set(row, text);
          model[row] = text;
          check();
        });
        for (const [at, text] of rewrites) {
          if (model.length === 0) break;
          const row = at % model.length;
          store.set(row, text);
          model[row] = text;
          check();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a match spanning the end of one row and the start of the next is no match', () => {
    // given "xab" and "cdy" sealed into one block "xabcdy"
    const store = new TaskTexts(2);
    store.set(0, 'xab');
    store.set(1, 'cdy');
    // then "abc" and "bcd" are in neither row
    expect(hitsOf(store, 'abc')).toEqual([]);
    expect(hitsOf(store, 'bcd')).toEqual([]);
    expect(hitsOf(store, 'ab')).toEqual([0]);
    expect(hitsOf(store, 'cd')).toEqual([1]);
  });

  it('round-trips through its data form (as a checkpoint stores it) and goes on', () => {
    fc.assert(
      fc.property(scenario, ({ blockRows, texts, rewrites, needle }) => {
        const { store, model } = build(blockRows, texts, rewrites);
        const restored = TaskTexts.fromData(structuredClone(store.toData()), blockRows);
        expect(model.map((_, row) => restored.at(row))).toEqual(model);
        expect(hitsOf(restored, needle)).toEqual(hitsOf(store, needle));
        restored.set(model.length, 'abc');
        expect(restored.at(model.length)).toBe('abc');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses data whose offsets do not match its blocks', () => {
    const store = new TaskTexts(2);
    for (let row = 0; row < 5; row++) store.set(row, `t${row}`);
    const data = store.toData();
    expect(() => TaskTexts.fromData({ ...data, starts: data.starts.slice(1) }, 2)).toThrow(/disagree/);
    expect(() => TaskTexts.fromData({ ...data, starts: data.starts.map((s) => s.subarray(1)) }, 2)).toThrow(/disagree/);
  });
});

describe('TaskTexts block offsets', () => {
  it('keeps 16-bit offsets for blocks under 64 KiB and 32-bit ones past it, finding rows in both', () => {
    // given two sealed blocks of two rows: one short, one whose second row starts past 65,535
    const store = new TaskTexts(2);
    const long = 'x'.repeat(70_000);
    for (const text of ['ab', 'needle', long, 'a needle']) store.set(store.size, text);

    // then the offsets are as narrow as each block allows
    const data = store.toData();
    expect(data.starts.map((s) => s.constructor.name)).toEqual(['Uint16Array', 'Uint32Array']);

    // and the rows past 64 KiB are read and found
    expect(store.at(3)).toBe('a needle');
    expect(hitsOf(store, 'needle')).toEqual([1, 3]);
    expect(hitsOf(TaskTexts.fromData(data, 2), 'needle')).toEqual([1, 3]);
  });

  it('counts a row once however often it holds the needle, and not a match across two rows', () => {
    const store = new TaskTexts(3);
    for (const text of ['aaaa', 'xa', 'ay']) store.set(store.size, text);
    expect(hitsOf(store, 'aa')).toEqual([0]);
    expect(hitsOf(store, 'a')).toEqual([0, 1, 2]);
  });
});
