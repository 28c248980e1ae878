import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type RawLine } from '../../src/pipeline/splitLines.js';

/** A line as seen by a test: its text (hex for raw bytes), number and offset. */
interface Seen {
  readonly bytes: string | null;
  readonly line: number;
  readonly byteOffset: number;
}

type Encoding = 'utf8' | 'hex';

function seen(raw: RawLine, encoding: Encoding): Seen {
  return { bytes: raw.bytes === null ? null : raw.bytes.toString(encoding), line: raw.line, byteOffset: raw.byteOffset };
}

/** Pushes the chunks in order, then flushes; returns every line handed over. */
function split(chunks: readonly Buffer[], maxLineBytes: number, encoding: Encoding = 'utf8', start?: [number, number]): Seen[] {
  const splitter = start === undefined ? new LineSplitter(maxLineBytes) : new LineSplitter(maxLineBytes, ...start);
  const out: Seen[] = [];
  for (const chunk of chunks) splitter.push(chunk, (l) => out.push(seen(l, encoding)));
  splitter.flush((l) => out.push(seen(l, encoding)));
  return out;
}

/** The input cut at the given positions (sorted, within bounds). */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** An independent model of the splitter: split on LF, too-long lines become null, a non-empty tail is a line. */
function model(bytes: Buffer, maxLineBytes: number, startOffset = 0, startLine = 1): Seen[] {
  const out: Seen[] = [];
  let from = 0;
  let line = startLine;
  for (;;) {
    const nl = bytes.indexOf(0x0a, from);
    const end = nl === -1 ? bytes.length : nl;
    if (nl === -1 && end === from) break;
    const piece = bytes.subarray(from, end);
    out.push({ bytes: piece.length > maxLineBytes ? null : piece.toString('hex'), line, byteOffset: startOffset + from });
    line++;
    if (nl === -1) break;
    from = nl + 1;
  }
  return out;
}

describe('LineSplitter', () => {
  it('hands over complete lines with exact 1-based numbers and byte offsets', () => {
    const splitter = new LineSplitter(100);
    const out: Seen[] = [];
    splitter.push(Buffer.from('a\nbc\n\ndéf\n'), (l) => out.push(seen(l, 'utf8')));
    expect(out).toEqual([
      { bytes: 'a', line: 1, byteOffset: 0 },
      { bytes: 'bc', line: 2, byteOffset: 2 },
      { bytes: '', line: 3, byteOffset: 5 },
      { bytes: 'déf', line: 4, byteOffset: 6 },
    ]);
    expect(splitter.committedOffset).toBe(11);
    expect(splitter.committedLine).toBe(5);
    expect(splitter.pendingLength).toBe(0);
  });

  it('starts counting at a given offset and line (resume from a checkpoint)', () => {
    expect(split([Buffer.from('x\nyz\n')], 100, 'utf8', [1000, 41])).toEqual([
      { bytes: 'x', line: 41, byteOffset: 1000 },
      { bytes: 'yz', line: 42, byteOffset: 1002 },
    ]);
  });

  it('keeps the partial tail until its newline arrives; committed position stays at the last complete line', () => {
    const splitter = new LineSplitter(100);
    const out: Seen[] = [];
    const onLine = (l: RawLine) => out.push(seen(l, 'utf8'));
    splitter.push(Buffer.from('first\nab'), onLine);
    expect(out).toEqual([{ bytes: 'first', line: 1, byteOffset: 0 }]);
    expect([splitter.committedOffset, splitter.committedLine, splitter.pendingLength]).toEqual([6, 2, 2]);
    splitter.push(Buffer.from('cd'), onLine);
    splitter.push(Buffer.alloc(0), onLine);
    expect(out).toHaveLength(1);
    expect([splitter.committedOffset, splitter.committedLine, splitter.pendingLength]).toEqual([6, 2, 4]);
    splitter.push(Buffer.from('e\nf'), onLine);
    expect(out).toEqual([
      { bytes: 'first', line: 1, byteOffset: 0 },
      { bytes: 'abcde', line: 2, byteOffset: 6 },
    ]);
    expect([splitter.committedOffset, splitter.committedLine, splitter.pendingLength]).toEqual([12, 3, 1]);
  });

  const TEXT = '{"name":"Ünïcode ✓ 😀"}\n€\r\n\n{"x":1}\n末尾€';
  const BYTES = Buffer.from(TEXT, 'utf8');
  const EXPECTED: Seen[] = [
    { bytes: '{"name":"Ünïcode ✓ 😀"}', line: 1, byteOffset: 0 },
    { bytes: '€\r', line: 2, byteOffset: Buffer.byteLength('{"name":"Ünïcode ✓ 😀"}\n') },
    { bytes: '', line: 3, byteOffset: Buffer.byteLength('{"name":"Ünïcode ✓ 😀"}\n€\r\n') },
    { bytes: '{"x":1}', line: 4, byteOffset: Buffer.byteLength('{"name":"Ünïcode ✓ 😀"}\n€\r\n\n') },
    { bytes: '末尾€', line: 5, byteOffset: Buffer.byteLength('{"name":"Ünïcode ✓ 😀"}\n€\r\n\n{"x":1}\n') },
  ];

  it('gives the same lines for a split at every byte position, including inside multi-byte characters', () => {
    expect(split([BYTES], 100)).toEqual(EXPECTED);
    for (let i = 0; i <= BYTES.length; i++) {
      expect(split([BYTES.subarray(0, i), BYTES.subarray(i)], 100), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it('gives the same lines for every three-way split and byte-by-byte', () => {
    for (let i = 0; i <= BYTES.length; i++) {
      for (let j = i; j <= BYTES.length; j++) {
        const chunks = [BYTES.subarray(0, i), BYTES.subarray(i, j), BYTES.subarray(j)];
        expect(split(chunks, 100), `split at ${i}, ${j}`).toEqual(EXPECTED);
      }
    }
    const bytewise = [...BYTES].map((b) => Buffer.from([b]));
    expect(split(bytewise, 100)).toEqual(EXPECTED);
  });

  it('keeps the CR of a CRLF line in its bytes and counts it in the offsets', () => {
    const bytes = Buffer.from('a\r\nbb\r\n\r\n');
    const expected = [
      { bytes: 'a\r', line: 1, byteOffset: 0 },
      { bytes: 'bb\r', line: 2, byteOffset: 3 },
      { bytes: '\r', line: 3, byteOffset: 7 },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      expect(split([bytes.subarray(0, i), bytes.subarray(i)], 100), `split at ${i}`).toEqual(expected);
    }
    const splitter = new LineSplitter(100);
    splitter.push(bytes, () => {});
    expect([splitter.committedOffset, splitter.committedLine]).toEqual([9, 4]);
  });

  it('flushes an unterminated tail as the last line, once', () => {
    const splitter = new LineSplitter(100);
    const out: Seen[] = [];
    const onLine = (l: RawLine) => out.push(seen(l, 'utf8'));
    splitter.push(Buffer.from('one\ntwo\nta'), onLine);
    splitter.push(Buffer.from('il'), onLine);
    expect(out).toHaveLength(2);
    splitter.flush(onLine);
    expect(out[2]).toEqual({ bytes: 'tail', line: 3, byteOffset: 8 });
    expect([splitter.committedOffset, splitter.committedLine, splitter.pendingLength]).toEqual([12, 4, 0]);
    splitter.flush(onLine);
    expect(out).toHaveLength(3);
  });

  it('flushes nothing after a final newline or for empty input', () => {
    expect(split([Buffer.from('a\n')], 100)).toEqual([{ bytes: 'a', line: 1, byteOffset: 0 }]);
    expect(split([], 100)).toEqual([]);
    expect(split([Buffer.alloc(0)], 100)).toEqual([]);
  });

  it('accepts a line of exactly the maximum length and reports one byte more as overlong', () => {
    expect(split([Buffer.from('0123456789\n0123456789A\nok\n')], 10)).toEqual([
      { bytes: '0123456789', line: 1, byteOffset: 0 },
      { bytes: null, line: 2, byteOffset: 11 },
      { bytes: 'ok', line: 3, byteOffset: 23 },
    ]);
  });

  it('reports an overlong line once, as soon as it passes the limit, and drops its bytes up to the newline', () => {
    const splitter = new LineSplitter(10);
    const out: Seen[] = [];
    const onLine = (l: RawLine) => out.push(seen(l, 'utf8'));
    splitter.push(Buffer.from('ok\n0123456'), onLine);
    expect(splitter.pendingLength).toBe(7);
    splitter.push(Buffer.from('789A'), onLine);
    expect(out).toEqual([
      { bytes: 'ok', line: 1, byteOffset: 0 },
      { bytes: null, line: 2, byteOffset: 3 },
    ]);
    expect(splitter.pendingLength).toBe(0);
    const big = Buffer.alloc(1024 * 1024, 0x78);
    for (let i = 0; i < 8; i++) {
      splitter.push(big, onLine);
      expect(splitter.pendingLength).toBe(0);
    }
    expect(out).toHaveLength(2);
    expect([splitter.committedOffset, splitter.committedLine]).toEqual([3, 2]);
    splitter.push(Buffer.from('xyz\nnext\nta'), onLine);
    const overlongEnd = 3 + 11 + 8 * 1024 * 1024 + 3 + 1;
    expect(out.slice(2)).toEqual([{ bytes: 'next', line: 3, byteOffset: overlongEnd }]);
    expect([splitter.committedOffset, splitter.committedLine, splitter.pendingLength]).toEqual([overlongEnd + 5, 4, 2]);
    splitter.flush(onLine);
    expect(out.slice(3)).toEqual([{ bytes: 'ta', line: 4, byteOffset: overlongEnd + 5 }]);
  });

  it('reports an overlong line fed byte by byte exactly once', () => {
    const bytes = Buffer.from('0123456789AB\nok\n');
    expect(split([...bytes].map((b) => Buffer.from([b])), 10)).toEqual([
      { bytes: null, line: 1, byteOffset: 0 },
      { bytes: 'ok', line: 2, byteOffset: 13 },
    ]);
  });

  it('does not report an overlong unterminated tail twice on flush, and moves past it', () => {
    const splitter = new LineSplitter(4);
    const out: Seen[] = [];
    const onLine = (l: RawLine) => out.push(seen(l, 'utf8'));
    splitter.push(Buffer.from('a\nbcdefgh'), onLine);
    splitter.flush(onLine);
    expect(out).toEqual([
      { bytes: 'a', line: 1, byteOffset: 0 },
      { bytes: null, line: 2, byteOffset: 2 },
    ]);
    expect([splitter.committedOffset, splitter.committedLine]).toEqual([9, 3]);
  });

  it('hands over line bytes that later pushes do not change', () => {
    const splitter = new LineSplitter(100);
    const lines: Buffer[] = [];
    const onLine = (l: RawLine) => lines.push(l.bytes!);
    splitter.push(Buffer.from('ab'), onLine);
    splitter.push(Buffer.from('c\nde\n'), onLine);
    splitter.push(Buffer.from('fg\n'), onLine);
    expect(lines.map((b) => b.toString())).toEqual(['abc', 'de', 'fg']);
  });

  const byteString = fc
    .array(fc.oneof({ arbitrary: fc.constant(0x0a), weight: 1 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 5 }), {
      maxLength: 300,
    })
    .map((a) => Buffer.from(a));

  it('property: any chunking of a random byte string gives the lines of a one-shot split', () => {
    fc.assert(
      fc.property(byteString, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 0, max: 40 }), (bytes, cuts, max) => {
        const oneShot = split([bytes], max, 'hex');
        expect(oneShot).toEqual(model(bytes, max));
        expect(split(chunked(bytes, cuts), max, 'hex')).toEqual(oneShot);
      }),
      { numRuns: 2000 },
    );
  });

  /** Mostly valid UTF-8 (ASCII, 2-4 byte characters, newlines) with an occasional stray byte. */
  const textBytes = fc
    .array(
      fc.oneof(
        { arbitrary: fc.constant(Buffer.from('\n')), weight: 2 },
        { arbitrary: fc.constantFrom('a', '{', '"', ' ', 'é', '€', '𝄞', '\r').map((c) => Buffer.from(c)), weight: 8 },
        { arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((b) => Buffer.from([b])), weight: 1 },
      ),
      { maxLength: 200 },
    )
    .map((parts) => Buffer.concat(parts));

  it('property: a line handed over with its text has exactly the UTF-8 decoding of its bytes, whatever the chunking', () => {
    fc.assert(
      fc.property(textBytes, fc.array(fc.nat(), { maxLength: 30 }), fc.integer({ min: 0, max: 40 }), (bytes, cuts, max) => {
        const splitter = new LineSplitter(max);
        const check = (l: RawLine): void => {
          if (l.text === undefined) return;
          expect(l.bytes).not.toBeNull();
          expect(isUtf8(l.bytes as Buffer)).toBe(true);
          expect(l.text).toBe((l.bytes as Buffer).toString('utf8'));
        };
        for (const chunk of chunked(bytes, cuts)) splitter.push(chunk, check);
        splitter.flush(check);
      }),
      { numRuns: 3000 },
    );
    // Lines in the middle of one chunk do get their text (the fast path is taken at all).
    const lines: RawLine[] = [];
    new LineSplitter(100).push(Buffer.from('a\nb€c\r\n\nd\ne'), (l) => lines.push(l));
    expect(lines.map((l) => l.text)).toEqual([undefined, 'b€c\r', '', 'd']);
  });

  it('property: committed offset and line after any chunking match the one-shot split', () => {
    fc.assert(
      fc.property(
        byteString,
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat({ max: 10_000 }),
        fc.integer({ min: 1, max: 1000 }),
        (bytes, cuts, max, startOffset, startLine) => {
          const whole = new LineSplitter(max, startOffset, startLine);
          const parts = new LineSplitter(max, startOffset, startLine);
          const fromParts: Seen[] = [];
          whole.push(bytes, () => {});
          for (const chunk of chunked(bytes, cuts)) parts.push(chunk, (l) => fromParts.push(seen(l, 'hex')));
          const lastNewline = bytes.lastIndexOf(0x0a);
          const newlines = bytes.filter((b) => b === 0x0a).length;
          expect([parts.committedOffset, parts.committedLine]).toEqual([whole.committedOffset, whole.committedLine]);
          expect([parts.committedOffset, parts.committedLine]).toEqual([startOffset + lastNewline + 1, startLine + newlines]);
          const tail = bytes.length - lastNewline - 1;
          expect(parts.pendingLength).toBe(tail > max ? 0 : tail);
          // An unterminated tail already past the limit has been reported; nothing else of it has.
          const early = tail > max ? [{ bytes: null, line: startLine + newlines, byteOffset: startOffset + lastNewline + 1 }] : [];
          expect(fromParts).toEqual([...model(bytes.subarray(0, lastNewline + 1), max, startOffset, startLine), ...early]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: random Unicode text split anywhere decodes back to its lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replaceAll('\n', '')), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, cuts) => {
          const text = lines.map((l) => l + '\n').join('');
          const bytes = Buffer.from(text, 'utf8');
          const got = split(chunked(bytes, cuts), 1024);
          expect(got.map((l) => l.bytes)).toEqual(lines);
          expect(got.map((l) => l.byteOffset)).toEqual(
            lines.map((_, i) => Buffer.byteLength(lines.slice(0, i).map((l) => l + '\n').join(''))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('goes on from its state in another splitter exactly as it would have itself, for any cut (property)', () => {
    fc.assert(
      fc.property(byteString, fc.array(fc.nat(), { maxLength: 10 }), fc.nat(), fc.integer({ min: 0, max: 40 }), (bytes, cuts, at, max) => {
        const chunks = chunked(bytes, cuts);
        const handOver = at % (chunks.length + 1);
        const out: Seen[] = [];
        let splitter = new LineSplitter(max);
        chunks.forEach((chunk, i) => {
          // What crosses between threads: plain data, copied (as a structured clone would).
          if (i === handOver) splitter = LineSplitter.from(max, structuredClone(splitter.state()));
          splitter.push(chunk, (l) => out.push(seen(l, 'hex')));
        });
        splitter.flush((l) => out.push(seen(l, 'hex')));
        expect(out).toEqual(split([bytes], max, 'hex'));
      }),
      { numRuns: 2000 },
    );
  });
});
