/**
 * hashBytes, the hash that tells a rewritten line apart from the one at its place before: the
 * same bytes hash alike wherever they lie (a line inside a chunk is hashed in place, one across
 * chunks from a joined Buffer), and a changed byte, an added or removed one, changes the hash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashBytes, type LineHash } from '../../src/sources/lineHash.js';

const hashOf = (bytes: Uint8Array, start = 0, end = bytes.length): LineHash => {
  const into = { lo: 0, hi: 0 };
  hashBytes(bytes, start, end, into);
  return into;
};

describe('hashBytes', () => {
  it('hashes the same bytes alike at any place in any buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 9 }), fc.uint8Array({ maxLength: 9 }), (line, before, after) => {
        const around = Buffer.concat([before, line, after]);
        expect(hashOf(around, before.length, before.length + line.length)).toEqual(hashOf(Buffer.from(line)));
      }),
    );
  });

  it('changes with any changed, added or removed byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (line, at, delta) => {
        const i = at % line.length;
        const changed = Buffer.from(line);
        changed[i] = ((changed[i] as number) + delta) & 0xff;
        const base = hashOf(line);
        for (const other of [changed, line.subarray(0, line.length - 1), Buffer.concat([line, Buffer.from([0])])]) {
          const h = hashOf(other);
          expect(h.lo === base.lo && h.hi === base.hi).toBe(false);
        }
      }),
    );
  });

  it('gives two 32-bit halves that both vary', () => {
    const a = hashOf(Buffer.from('{"invocation_id": "a", "outcome": {"status": "success"}}'));
    const b = hashOf(Buffer.from('{"invocation_id": "a", "outcome": {"status": "failure"}}'));
    expect(a.lo).not.toBe(b.lo);
    expect(a.hi).not.toBe(b.hi);
    for (const h of [a, b]) for (const half of [h.lo, h.hi]) expect(Number.isInteger(half) && half >= 0 && half < 2 ** 32).toBe(true);
  });
});
