import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/projections/store/keyIndex.js';

const uuid = fc.uuid().map((u) => u.toLowerCase());

/** Keys of every kind the index must keep apart: packed UUIDs, near-UUIDs and arbitrary strings. */
const anyKey = fc.oneof(
  uuid,
  uuid.map((u) => u.toUpperCase()),
  uuid.map((u) => `${u} `),
  uuid.map((u) => u.replace(/-/g, '')),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '__proto__', 'constructor', 'toString', '00000000-0000-0000-0000-000000000000'),
);

/** A deterministic, distinct lower-case UUID for n (varies in every word, not only the last). */
function uuidFor(n: number): string {
  const h = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');
  const a = h(Math.imul(n, 0x9e3779b1));
  const b = h(n ^ 0x5bd1e995);
  const c = h(Math.imul(n + 1, 0x85ebca6b));
  const d = h(n);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** Reference model: first-seen numbering in a plain Map. */
function modelRefs(keys: readonly string[]): Map<string, number> {
  const model = new Map<string, number>();
  for (const key of keys) if (!model.has(key)) model.set(key, model.size);
  return model;
}

function expectMatchesModel(index: KeyIndex, model: Map<string, number>): void {
  expect(index.size).toBe(model.size);
  for (const [key, ref] of model) {
    expect(index.find(key)).toBe(ref);
    expect(index.keyAt(ref)).toBe(key);
  }
}

describe('KeyIndex', () => {
  it('numbers keys densely in first-seen order and gives a known key its number again', () => {
    // given a mix of lower-case UUIDs and other strings, with repeats
    const a = '7f3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6';
    const b = 'agent-session-1';
    const c = '00000000-0000-0000-0000-000000000000';
    const index = new KeyIndex();

    // when each key is referenced (some twice)
    const refs = [a, b, a, c, b, c, a].map((key) => index.ref(key));

    // then numbers are 0, 1, 2 by first sighting and repeats get the same number
    expect(refs).toEqual([0, 1, 0, 2, 1, 2, 0]);
    expect(index.size).toBe(3);
    expect([0, 1, 2].map((ref) => index.keyAt(ref))).toEqual([a, b, c]);
  });

  it('find() is -1 for unknown keys and does not assign a number', () => {
    // given an index holding one UUID and one plain key
    const index = new KeyIndex();
    const known = 'c0ffee00-0000-4000-8000-000000000001';
    index.ref(known);
    index.ref('plain');

    // when asking for keys it has never seen (a UUID one digit away, the upper-case form, other strings)
    const unknown = [
      'c0ffee00-0000-4000-8000-000000000002',
      known.toUpperCase(),
      `${known} `,
      'Plain',
      '',
      '__proto__',
      'hasOwnProperty',
    ];

    // then each is -1, and the size is unchanged
    for (const key of unknown) expect(index.find(key)).toBe(-1);
    expect(index.size).toBe(2);
    expect(index.find(known)).toBe(0);
    expect(index.find('plain')).toBe(1);
    // and the next new key still gets the next number
    expect(index.ref(unknown[0] as string)).toBe(2);
  });

  it('keeps an upper-case UUID, its lower-case form and near-UUIDs apart', () => {
    // given a lower-case UUID and strings that differ only in case, spacing or hyphens
    const lower = 'abcdef01-2345-4678-9abc-def012345678';
    const variants = [
      lower,
      lower.toUpperCase(),
      'ABCDEF01-2345-4678-9abc-def012345678',
      `${lower} `,
      ` ${lower}`,
      lower.replace(/-/g, ''),
      lower.replace(/-/g, '_'),
      `${lower.slice(0, 35)}g`,
    ];
    const index = new KeyIndex();

    // when each is referenced
    const refs = variants.map((key) => index.ref(key));

    // then every one has its own number and round-trips to its exact spelling
    expect(refs).toEqual(variants.map((_, n) => n));
    variants.forEach((key, n) => expect(index.keyAt(n)).toBe(key));
    expect(index.find(lower)).toBe(0);
    expect(index.find(lower.toUpperCase())).toBe(1);
  });

  it('keyAt(ref(k)) === k for random lower-case UUIDs', () => {
    fc.assert(
      fc.property(fc.array(uuid, { maxLength: 200 }), (keys) => {
        // given random UUIDs referenced in order
        const index = new KeyIndex();
        const refs = keys.map((key) => index.ref(key));
        // then each resolves back to its exact text
        keys.forEach((key, n) => expect(index.keyAt(refs[n] as number)).toBe(key));
      }),
      { numRuns: 200 },
    );
  });

  it('keyAt(ref(k)) === k for arbitrary strings (including __proto__, empty, upper-case and spaced UUIDs)', () => {
    fc.assert(
      fc.property(fc.array(anyKey, { maxLength: 60 }), (keys) => {
        const index = new KeyIndex();
        const refs = keys.map((key) => index.ref(key));
        keys.forEach((key, n) => {
          expect(index.keyAt(refs[n] as number)).toBe(key);
          expect(index.find(key)).toBe(refs[n]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('assigns the same numbers as a Map<string, number> model for any key sequence', () => {
    fc.assert(
      fc.property(
        // a small pool drawn with repeats, so known keys come back often
        fc.array(anyKey, { minLength: 1, maxLength: 30 }).chain((pool) =>
          fc.array(fc.nat({ max: pool.length - 1 }), { maxLength: 120 }).map((picks) => picks.map((p) => pool[p] as string)),
        ),
        (keys) => {
          // given the model's numbering of the sequence
          const model = new Map<string, number>();
          const index = new KeyIndex();
          for (const key of keys) {
            // when each key is looked up, then referenced
            const expected = model.get(key);
            expect(index.find(key)).toBe(expected ?? -1);
            if (expected === undefined) model.set(key, model.size);
            // then the index agrees with the model at every step
            expect(index.ref(key)).toBe(model.get(key));
            expect(index.size).toBe(model.size);
          }
          expectMatchesModel(index, model);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('resolves every key after many insertions force the table to grow (50k UUIDs and 5k others)', () => {
    // given 50,000 distinct UUIDs interleaved with 5,000 plain keys
    const keys: string[] = [];
    for (let n = 0; n < 50_000; n++) {
      keys.push(uuidFor(n));
      if (n % 10 === 0) keys.push(`session-${n}`);
    }
    const index = new KeyIndex();

    // when all are referenced
    const refs = keys.map((key) => index.ref(key));

    // then they were numbered 0, 1, 2, ... in order
    expect(refs.findIndex((ref, n) => ref !== n)).toBe(-1);

    // and every one is still found, at its number, and resolves back to its text
    expect(index.size).toBe(keys.length);
    const wrong = keys.findIndex((key, n) => index.find(key) !== n || index.keyAt(n) !== key);
    expect(wrong).toBe(-1);
    // and a repeat does not grow it
    expect(index.ref(keys[12_345] as string)).toBe(12_345);
    expect(index.size).toBe(keys.length);
  });

  it('handles UUIDs that differ only in their last digits (sequential ids) without losing any', () => {
    // given 20,000 UUIDs sharing their first three words
    const keys = Array.from({ length: 20_000 }, (_, n) => `01890000-0000-7000-8000-0000${n.toString(16).padStart(8, '0')}`);
    const index = new KeyIndex();

    // when referenced twice over
    keys.forEach((key) => index.ref(key));
    const again = keys.map((key) => index.ref(key));

    // then the second pass returns the first numbers and nothing was added
    expect(again).toEqual(keys.map((_, n) => n));
    expect(index.size).toBe(keys.length);
    expect(index.keyAt(19_999)).toBe(keys[19_999]);
  });

  it('toData -> fromData keeps every number and text, and numbering continues after it', () => {
    fc.assert(
      fc.property(fc.array(anyKey, { maxLength: 80 }), fc.array(anyKey, { maxLength: 40 }), (before, after) => {
        // given an index built from `before`, checkpointed (cloned, as a checkpoint would be) and restored
        const original = new KeyIndex();
        for (const key of before) original.ref(key);
        const restored = KeyIndex.fromData(structuredClone(original.toData()));

        // then the restored index answers exactly as the original, and checkpoints to the same data
        const model = modelRefs(before);
        expectMatchesModel(restored, model);
        expect(restored.toData()).toEqual(original.toData());

        // when both go on with `after`
        for (const key of after) expect(restored.ref(key)).toBe(original.ref(key));

        // then they still agree with the model of the whole sequence
        expectMatchesModel(restored, modelRefs([...before, ...after]));
      }),
      { numRuns: 300 },
    );
  });

  it('fromData of a large index rebuilds its table so every key is still found', () => {
    // given 10,000 UUIDs and some plain keys, checkpointed
    const original = new KeyIndex();
    const keys = Array.from({ length: 10_000 }, (_, n) => (n % 7 === 0 ? `k${n}` : uuidFor(n)));
    for (const key of keys) original.ref(key);
    const data = original.toData();
    expect(data.size).toBe(keys.length);
    expect(data.words.length).toBe(keys.length * 4);

    // when restored and extended with 10,000 more UUIDs (growing words and slots again)
    const restored = KeyIndex.fromData(data);
    const more = Array.from({ length: 10_000 }, (_, n) => uuidFor(n + 1_000_000));
    const moreRefs = more.map((key) => restored.ref(key));

    // then the new keys continue the numbering and old and new keys all resolve
    expect(moreRefs.findIndex((ref, n) => ref !== keys.length + n)).toBe(-1);
    const all = [...keys, ...more];
    expect(all.findIndex((key, n) => restored.find(key) !== n || restored.keyAt(n) !== key)).toBe(-1);
    expect(restored.size).toBe(all.length);
  });
});
