/**
 * FileTail in process, on real files in a temp dir: what each read hands over, and when it says
 * the file was not appended to but rewritten, truncated, replaced, or is not a file at all.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileTail, type TailResult } from '../../src/io/fileTail.js';
import type { RawLine } from '../../src/pipeline/splitLines.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const temp = tempDirsPerTest();
afterEach(() => {
  vi.useRealTimers();
});

const MAX_LINE = 1 << 20;

function textOf(line: RawLine): string {
  return line.text ?? (line.bytes === null ? '<over the limit>' : line.bytes.toString('utf8'));
}

/** A tail on `<temp>/<name>` and a read that returns its result with the lines it handed over. */
function tailOn(name = 'agent_invocations.jsonl', resumeCheck: 'full' | 'quick' | 'deferred' = 'full') {
  const file = path.join(temp.make('oak-filetail-'), name);
  const tail = new FileTail('invocations', file, MAX_LINE, undefined, resumeCheck);
  const read = (budget?: number): { result: TailResult & { more?: boolean }; lines: string[]; raw: RawLine[] } => {
    const raw: RawLine[] = [];
    const result = tail.read((line) => raw.push(line), budget);
    return { result, lines: raw.map(textOf), raw };
  };
  return { file, tail, read };
}

/** Sets the file's modification time to `seconds` after the epoch, so a test decides whether it moved. */
const setMtime = (file: string, seconds: number) => fs.utimesSync(file, seconds, seconds);

/** `text` with the character at `at` changed (same length). */
const withCharFlipped = (text: string, at: number) => text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1);

/** `count` lines of 100 bytes each (newline included), numbered. */
function hundredByteLines(count: number, from = 0): string {
  let text = '';
  for (let i = from; i < from + count; i++) text += `line ${String(i).padStart(6, '0')} `.padEnd(99, 'x') + '\n';
  return text;
}

describe('FileTail: appends', () => {
  it('a missing file is missing until it appears; then each read hands over only what was appended', () => {
    const { file, tail, read } = tailOn();
    expect(read().result).toEqual({ kind: 'missing' });
    fs.writeFileSync(file, 'a\nb\n');
    const first = read();
    expect(first.result).toEqual({ kind: 'ok', size: 4, more: false });
    expect(first.lines).toEqual(['a', 'b']);
    expect(first.raw.map((l) => [l.line, l.byteOffset])).toEqual([
      [1, 0],
      [2, 2],
    ]);
    expect(read().lines).toEqual([]);
    fs.appendFileSync(file, 'c\n');
    const second = read();
    expect(second.lines).toEqual(['c']);
    expect(second.raw[0]).toMatchObject({ line: 3, byteOffset: 4 });
    expect(tail.committedOffset).toBe(6);
  });

  it('a partial last line is held until its newline; the committed offset stays before it', () => {
    const { file, tail, read } = tailOn();
    fs.writeFileSync(file, 'one\ntw');
    expect(read().lines).toEqual(['one']);
    expect(tail.committedOffset).toBe(4);
    expect(tail.position()).toMatchObject({ offset: 4, line: 2 });
    fs.appendFileSync(file, 'o');
    expect(read().lines).toEqual([]);
    fs.appendFileSync(file, '\nthree\n');
    expect(read().lines).toEqual(['two', 'three']);
    expect(tail.committedOffset).toBe(14);
  });

  it('reads at most the budget per call and says there is more', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, hundredByteLines(10));
    const first = read(250);
    expect(first.result).toMatchObject({ kind: 'ok', more: true });
    expect(first.lines).toHaveLength(2);
    const rest = read();
    expect(rest.result).toMatchObject({ kind: 'ok', more: false });
    expect(rest.lines).toHaveLength(8);
  });

  it('property: appends in any pieces, read between any of them, hand over the complete lines once, in order', () => {
    const piece = fc.string({ unit: fc.constantFrom('a', 'é', '\n', 'z'), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 20 }), (steps) => {
        const { file, tail, read } = tailOn();
        fs.writeFileSync(file, '');
        const seen: string[] = [];
        let all = '';
        for (const [text, readNow] of steps) {
          fs.appendFileSync(file, text);
          all += text;
          if (readNow) seen.push(...read().lines);
        }
        seen.push(...read().lines);
        const complete = all.slice(0, all.lastIndexOf('\n') + 1);
        expect(seen).toEqual(complete === '' ? [] : complete.slice(0, -1).split('\n'));
        expect(tail.committedOffset).toBe(Buffer.byteLength(complete));
      }),
      { numRuns: 60 },
    );
  });
});

describe('FileTail: a file changed other than by appending', () => {
  it('truncated below what was read: rewritten (file shrank)', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, 'a\nb\n');
    read();
    fs.truncateSync(file, 2);
    expect(read().result).toEqual({ kind: 'rewritten', why: 'file shrank' });
  });

  it('rewritten in place with other bytes, longer: rewritten (head bytes changed)', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, 'a\nb\n');
    read();
    fs.writeFileSync(file, 'x\ny\nz\n');
    expect(read().result).toEqual({ kind: 'rewritten', why: 'head bytes changed' });
  });

  it('a line before the offset changed beyond the head window: rewritten (bytes before the offset changed)', () => {
    const { file, read } = tailOn();
    const text = hundredByteLines(100); // 10 kB: the last line lies outside the 4 kB head window
    fs.writeFileSync(file, text);
    read();
    fs.writeFileSync(file, text.slice(0, -2) + 'y\n' + 'more\n');
    expect(read().result).toEqual({ kind: 'rewritten', why: 'bytes before the offset changed' });
  });

  it('replaced by another file (a new inode) with the same first bytes: rewritten (file replaced)', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, 'a\nb\n');
    read();
    const other = `${file}.new`;
    fs.writeFileSync(other, 'a\nb\nc\n');
    fs.renameSync(other, file);
    expect(read().result).toEqual({ kind: 'rewritten', why: 'file replaced (inode changed)' });
  });

  it('deleted after being read: rewritten (file deleted); never read: missing', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, 'a\n');
    read();
    fs.rmSync(file);
    expect(read().result).toEqual({ kind: 'rewritten', why: 'file deleted' });
  });
});

describe('FileTail: the same size, a newer modification time (checkContent)', () => {
  // 20 kB: the middle is outside both 4 kB windows, so only the content check can see it.
  const TEXT = hundredByteLines(200);
  const MIDDLE = 10_050;
  const edited = withCharFlipped(TEXT, MIDDLE);

  it('a touch (same bytes) is not a rewrite; the next read goes on with what is appended', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, TEXT);
    setMtime(file, 1_000_000);
    expect(read().lines).toHaveLength(200);
    setMtime(file, 1_000_100);
    expect(read().result, 'first look: an append may be on its way').toEqual({ kind: 'ok', size: TEXT.length, more: false });
    expect(read().result, 'second look: the bytes are checked, and the same').toEqual({ kind: 'ok', size: TEXT.length, more: false });
    fs.appendFileSync(file, 'after the touch\n');
    expect(read().lines).toEqual(['after the touch']);
  });

  it('other bytes in the middle at the same size are a rewrite', () => {
    const { file, read } = tailOn();
    fs.writeFileSync(file, TEXT);
    setMtime(file, 1_000_000);
    read();
    fs.writeFileSync(file, edited);
    expect(fs.statSync(file).size).toBe(TEXT.length);
    setMtime(file, 1_000_100);
    expect(read().result.kind, 'first look: an append may be on its way').toBe('ok');
    expect(read().result).toEqual({ kind: 'rewritten', why: 'modified without growing (bytes read before changed)' });
  });

  it('an edit right after a checked touch waits for the next check (at most one a second), then is seen', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const { file, read } = tailOn();
    fs.writeFileSync(file, TEXT);
    setMtime(file, 1_000_000);
    read();
    setMtime(file, 1_000_100);
    read();
    expect(read().result.kind).toBe('ok'); // the touch, checked at the second look
    fs.writeFileSync(file, edited);
    setMtime(file, 1_000_200);
    read();
    expect(read().result.kind, 'within a second of the last check').toBe('ok');
    vi.setSystemTime(new Date('2026-01-01T00:00:01.500Z'));
    expect(read().result).toEqual({ kind: 'rewritten', why: 'modified without growing (bytes read before changed)' });
  });

  /** A tail that has read TEXT, and TEXT + 'appended' on disk with a newer mtime. */
  function tailAfterAppend() {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const { file, read } = tailOn();
    fs.writeFileSync(file, TEXT);
    setMtime(file, 1_000_000);
    read();
    fs.appendFileSync(file, 'appended\n');
    setMtime(file, 1_000_100);
    return { file, read };
  }

  /** Runs `run` with the next `stats` fstat calls seeing the size before the append. */
  function withOldSizeStats<T>(stats: number, run: () => T): T {
    const realFstat = fs.fstatSync;
    const oldSize = ((fd: number) => Object.assign(realFstat(fd), { size: TEXT.length })) as typeof fs.fstatSync;
    const fstat = vi.spyOn(fs, 'fstatSync');
    for (let i = 0; i < stats; i++) fstat.mockImplementationOnce(oldSize);
    try {
      return run();
    } finally {
      fstat.mockRestore();
    }
  }

  /** No check of the bytes ran (a check holds off the next one for a second): an edit now is seen at its second look. */
  function expectEditSeenAtSecondLook(file: string, read: ReturnType<typeof tailOn>['read']): void {
    fs.writeFileSync(file, withCharFlipped(TEXT + 'appended\n', MIDDLE));
    setMtime(file, 1_000_200);
    read();
    expect(read().result).toEqual({ kind: 'rewritten', why: 'modified without growing (bytes read before changed)' });
  }

  it('a look in the middle of an append (mtime moved, size not yet) is looked at again: the append is read and no check runs', () => {
    const { file, read } = tailAfterAppend();
    // write(2) moves the modification time before the size: the first stat of the read sees the old size.
    expect(withOldSizeStats(1, () => read().lines)).toEqual(['appended']);
    expectEditSeenAtSecondLook(file, read);
  });

  it('an append held up in the kernel (both stats of a read see the old size) starts no check when the next look finds the file grown', () => {
    const { file, read } = tailAfterAppend();
    expect(withOldSizeStats(2, () => read().lines)).toEqual([]);
    expect(read().lines).toEqual(['appended']);
    expectEditSeenAtSecondLook(file, read);
  });

  it('a quick tail (no running hash) convicts a same-size change only on a second look', () => {
    const { file, read } = tailOn('agent_invocations.jsonl', 'quick');
    fs.writeFileSync(file, TEXT);
    setMtime(file, 1_000_000);
    read();
    fs.writeFileSync(file, edited);
    setMtime(file, 1_000_100);
    expect(read().result.kind, 'first look: an append may be on its way').toBe('ok');
    expect(read().result).toEqual({ kind: 'rewritten', why: 'modified without growing' });
  });
});

describe('FileTail: resuming from a position', () => {
  it('continues after the position when the file only grew; says rewritten when it changed meanwhile', () => {
    const { file, tail, read } = tailOn();
    fs.writeFileSync(file, hundredByteLines(100)); // 10 kB: byte 5050 is outside both windows
    read();
    const position = tail.position();
    fs.appendFileSync(file, 'appended while nobody watched\n');
    const resumed = new FileTail('invocations', file, MAX_LINE, position);
    const lines: string[] = [];
    expect(resumed.read((l) => lines.push(textOf(l))).kind).toBe('ok');
    expect(lines).toEqual(['appended while nobody watched']);

    // The same size with one byte changed in the middle: only the prefix hash sees it.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, withCharFlipped(text, 5050));
    const again = new FileTail('invocations', file, MAX_LINE, position);
    expect(again.read(() => undefined)).toEqual({ kind: 'rewritten', why: 'bytes read before the checkpoint changed' });
  });
});

describe('FileTail: a one-shot resume (once) on a settled file', () => {
  /** Bytes fs.readSync hands back while `run` runs. */
  function bytesReadBy(run: () => void): number {
    let bytes = 0;
    const real = fs.readSync;
    const spy = vi.spyOn(fs, 'readSync').mockImplementation(((...args: Parameters<typeof fs.readSync>) => {
      const n = (real as (...a: Parameters<typeof fs.readSync>) => number)(...args);
      bytes += n;
      return n;
    }) as typeof fs.readSync);
    try {
      run();
    } finally {
      spy.mockRestore();
    }
    return bytes;
  }

  /** A position taken by a read that looked at the file `quietMs` after its last change. */
  function positionAfterQuiet(quietMs: number) {
    const { file, tail, read } = tailOn();
    fs.writeFileSync(file, hundredByteLines(1000)); // 100 kB: far more than the two 4 kB windows
    const changed = fs.statSync(file).ctimeMs;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(changed + quietMs);
    read();
    vi.useRealTimers();
    return { file, position: tail.position() };
  }

  it('an unchanged settled file is proven by its inode, size and ctime: only the windows are read', () => {
    const { file, position } = positionAfterQuiet(5000);
    expect(position.fingerprint?.settled).toMatchObject({ size: 100_000 });
    const resumed = new FileTail('invocations', file, MAX_LINE, position, 'once');
    let result: TailResult | undefined;
    const bytes = bytesReadBy(() => (result = resumed.read(() => undefined)));
    expect(result).toEqual({ kind: 'ok', size: 100_000, more: false });
    expect(bytes).toBeLessThan(20_000);
  });

  it('a same-size change in the middle after the look moves the ctime: the prefix is hashed and the change seen', () => {
    const { file, position } = positionAfterQuiet(5000);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, withCharFlipped(text, 50_050));
    const resumed = new FileTail('invocations', file, MAX_LINE, position, 'once');
    expect(resumed.read(() => undefined)).toEqual({ kind: 'rewritten', why: 'bytes read before the checkpoint changed' });
  });

  it('a position taken while a same-size edit is suspected (not yet checked) carries no settled look: the resume hashes and sees the edit', () => {
    const { file, tail, read } = tailOn();
    fs.writeFileSync(file, hundredByteLines(1000));
    setMtime(file, 1_000_000);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(fs.statSync(file).ctimeMs + 5000);
    read();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, withCharFlipped(text, 50_050));
    setMtime(file, 1_000_100);
    // The first look at the edit only suspects it (it could be an append in progress); the look itself is well after the edit.
    vi.setSystemTime(fs.statSync(file).ctimeMs + 5000);
    read();
    vi.useRealTimers();
    const position = tail.position();
    expect(position.fingerprint?.settled).toBeUndefined();
    const resumed = new FileTail('invocations', file, MAX_LINE, position, 'once');
    expect(resumed.read(() => undefined)).toEqual({ kind: 'rewritten', why: 'bytes read before the checkpoint changed' });
  });

  it('a look too soon after the last change is not trusted (a write in the same clock tick): the prefix is hashed', () => {
    const { file, position } = positionAfterQuiet(10);
    const resumed = new FileTail('invocations', file, MAX_LINE, position, 'once');
    let result: TailResult | undefined;
    const bytes = bytesReadBy(() => (result = resumed.read(() => undefined)));
    expect(result).toEqual({ kind: 'ok', size: 100_000, more: false });
    expect(bytes).toBeGreaterThanOrEqual(100_000);
  });

  it('a file that grew since the look is hashed, then read on from the position', () => {
    const { file, position } = positionAfterQuiet(5000);
    fs.appendFileSync(file, 'appended while nobody watched\n');
    const resumed = new FileTail('invocations', file, MAX_LINE, position, 'once');
    const lines: string[] = [];
    let result: TailResult | undefined;
    const bytes = bytesReadBy(() => (result = resumed.read((l) => lines.push(textOf(l)))));
    expect(result?.kind).toBe('ok');
    expect(lines).toEqual(['appended while nobody watched']);
    expect(bytes).toBeGreaterThanOrEqual(100_000);
  });
});

describe('FileTail: not a regular file', () => {
  it('a directory in place of the file is a fault result (EISDIR), never an exception; the file back is read', () => {
    const { file, read } = tailOn();
    fs.mkdirSync(file);
    const { result } = read();
    expect(result.kind).toBe('fault');
    if (result.kind !== 'fault') return;
    expect(result.fault).toMatchObject({ path: file, op: 'open', code: 'EISDIR' });
    fs.rmdirSync(file);
    fs.writeFileSync(file, 'back\n');
    expect(read().lines).toEqual(['back']);
  });
});

describe('FileTail: a deferred resume (the daemon: the prefix proven after serving starts)', () => {
  const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
  /** Flips one padding byte of line `line` at `col` (same size, same line ends). */
  const flip = (file: string, line: number, col: number) => {
    const at = line * 100 + 20 + col;
    const bytes = fs.readFileSync(file);
    bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
    fs.writeFileSync(file, bytes);
  };

  it('property: reads on at once; the steps then find a byte changed before or after the checkpoint, and only then, and end with the full hash', () => {
    fc.assert(
      fc.property(
        fc.record({
          before: fc.integer({ min: 90, max: 200 }),
          partial: fc.boolean(),
          appended: fc.integer({ min: 0, max: 30 }),
          later: fc.integer({ min: 0, max: 30 }),
          budget: fc.integer({ min: 1, max: 6000 }),
          change: fc.constantFrom('none', 'while down', 'after reading'),
          where: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          col: fc.integer({ min: 0, max: 70 }),
        }),
        ({ before, partial, appended, later, budget, change, where, col }) => {
          const { file, tail, read } = tailOn();
          fs.writeFileSync(file, hundredByteLines(before) + (partial ? 'a partial li' : ''));
          read();
          const position = tail.position();
          // The rest of the partial line, then lines appended while nobody watched.
          fs.appendFileSync(file, (partial ? 'ne\n' : '') + hundredByteLines(appended, before));
          if (change === 'while down') flip(file, Math.floor(where * before), col);
          const resumed = new FileTail('invocations', file, MAX_LINE, position, 'deferred');
          const lines: string[] = [];
          const first = resumed.read((l) => lines.push(textOf(l)));
          if (first.kind === 'rewritten') {
            // Only the windows of the first read (head, the 4 KiB before the offset) see it at once.
            expect(change).toBe('while down');
            return;
          }
          expect(first.kind).toBe('ok');
          expect(lines.length).toBe(appended + (partial ? 1 : 0));
          expect(resumed.prefixUnchecked).toBe(true);
          // Unproven: the positions vouch for nothing yet.
          expect(resumed.position().fingerprint?.prefixLength).toBe(-1);
          let outcome: TailResult & { more?: boolean } = { kind: 'ok', size: 0, more: true };
          let steps = 0;
          // A byte the tail read (before or after the checkpoint) changed before the check got to it.
          if (change === 'after reading') flip(file, Math.floor(where * (before + appended)), col);
          while (outcome.kind === 'ok' && outcome.more === true) {
            // Appends read while the check runs: it catches up with them.
            if (steps === 2) {
              fs.appendFileSync(file, hundredByteLines(later, before + appended));
              resumed.read(() => undefined);
            }
            outcome = resumed.checkPrefix(budget);
            steps++;
          }
          if (change !== 'none') {
            expect(outcome.kind).toBe('rewritten');
            expect(resumed.position().fingerprint?.prefixLength).toBe(-1);
            return;
          }
          expect(outcome).toMatchObject({ kind: 'ok', more: false });
          expect(resumed.prefixUnchecked).toBe(false);
          // Proven: the running hash is the one a tail that read everything holds.
          resumed.read(() => undefined);
          const whole = fs.readFileSync(file);
          const fp = resumed.position().fingerprint;
          expect(fp?.prefixLength).toBe(whole.length);
          expect(fp?.prefixHash).toBe(sha1(whole));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('a scan (a rewrite reader: one read buffer, no text)', () => {
  it('hands over every line, those across reads too, valid during the callback; then goes on live with text', () => {
    const file = path.join(temp.make('oak-filetail-'), 'agent_invocations.jsonl');
    // Lines of many lengths (some longer than a 64 KiB chunk), over several 1 MiB scan reads.
    const lines = Array.from({ length: 3000 }, (_, i) => `{"n": ${i}, "pad": "${'x'.repeat((i * 7919) % (i % 97 === 0 ? 90_000 : 1500))}"}`);
    fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    const tail = new FileTail('invocations', file, MAX_LINE, undefined, 'full', true);
    const seen: string[] = [];
    let withText = 0;
    for (;;) {
      const result = tail.read((line) => {
        if (line.text !== undefined) withText++;
        seen.push((line.bytes as Buffer).toString('utf8'));
      }, 4 * 1024 * 1024);
      expect(result.kind).toBe('ok');
      if (result.kind !== 'ok' || result.more !== true) break;
    }
    expect(withText).toBe(0);
    expect(seen).toEqual(lines);
    // Live from here: lines come with their text, and may be kept past the callback.
    tail.followLive();
    fs.appendFileSync(file, 'after one\nafter two\n');
    const kept: RawLine[] = [];
    tail.read((line) => kept.push(line));
    fs.appendFileSync(file, 'after three\n');
    tail.read((line) => kept.push(line));
    expect(kept.map(textOf)).toEqual(['after one', 'after two', 'after three']);
    // (The first line of a read is decoded from its bytes when asked; the others come as text.)
    expect(kept[1]?.text).toBe('after two');
    expect(tail.position().offset).toBe(fs.statSync(file).size);
  });
});
