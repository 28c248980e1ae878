import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAD_WINDOW_BYTES, ReadWindows, RECENT_BYTES } from '../../src/io/wholeRead.js';

describe('ReadWindows (what a read elsewhere keeps for a file tail to adopt)', () => {
  it('keeps the first and the last bytes of the read, whatever the chunks (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * RECENT_BYTES }), fc.array(fc.integer({ min: 1, max: 2 * RECENT_BYTES }), { maxLength: 12 }), (length, sizes) => {
        const bytes = Buffer.alloc(length);
        for (let i = 0; i < length; i++) bytes[i] = (i * 131 + (i >> 8)) & 0xff;
        const windows = new ReadWindows();
        let from = 0;
        for (const size of [...sizes, length]) {
          if (from >= length) break;
          windows.add(bytes.subarray(from, Math.min(length, from + size)));
          from = Math.min(length, from + size);
        }
        const { head, recent } = windows.windows();
        expect(Buffer.from(head).equals(bytes.subarray(0, HEAD_WINDOW_BYTES))).toBe(true);
        expect(Buffer.from(recent).equals(bytes.subarray(Math.max(0, length - RECENT_BYTES)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
