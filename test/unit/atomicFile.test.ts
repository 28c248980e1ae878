import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceFileAtomic, replaceFileAtomicSync, writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomicFile.js';
import { mountSmallTmpfs, type SmallTmpfs, tmpfsUnavailable } from '../support/smallTmpfs.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes a string, then replaces it with a Buffer', async () => {
    const file = path.join(dir, 'snapshot.json');
    await writeFileAtomic(file, '{"a":1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    await writeFileAtomic(file, Buffer.from([0, 1, 2, 255]));
    expect([...fs.readFileSync(file)]).toEqual([0, 1, 2, 255]);
    await writeFileAtomic(file, '');
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });

  it('leaves no tmp files behind, even with many writes to the same path at once', async () => {
    const file = path.join(dir, 'state.json');
    const contents = Array.from({ length: 30 }, (_, i) => `content ${i}\n`.repeat(1000 + i));
    await Promise.all(contents.map((c) => writeFileAtomic(file, c)));
    expect(fs.readdirSync(dir)).toEqual(['state.json']);
    expect(contents).toContain(fs.readFileSync(file, 'utf8'));
  });

  it('rejects when the directory does not exist, leaving nothing behind', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'x.json'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

/** `data` cut into uneven parts (an empty one among them), as a checkpoint's sections come. */
function inParts(data: Buffer): Buffer[] {
  const cuts = [0, 7, 7, Math.floor(data.length / 3), Math.floor(data.length / 2) + 1, data.length];
  return cuts.slice(1).map((end, i) => data.subarray(Math.min(cuts[i] as number, data.length), Math.min(end, data.length)));
}

describe('writeFileAtomic in parts', () => {
  it('writes the parts one after the other, async and sync', async () => {
    const file = path.join(dir, 'checkpoint.bin');
    const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(100));
    await writeFileAtomic(file, inParts(data));
    expect(fs.readFileSync(file).equals(data)).toBe(true);
    writeFileAtomicSync(file, inParts(data.subarray(5)));
    expect(fs.readFileSync(file).equals(data.subarray(5))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.bin']);
  });
});

describe('writeFileAtomicSync', () => {
  it('writes and replaces content, leaving no tmp files', () => {
    const file = path.join(dir, 'checkpoint.json');
    writeFileAtomicSync(file, 'first');
    writeFileAtomicSync(file, Buffer.from('second'));
    expect(fs.readFileSync(file, 'utf8')).toBe('second');
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.json']);
  });
});

describe('replaceFileAtomic', () => {
  it('writes and replaces content, leaving no tmp files', async () => {
    const file = path.join(dir, 'snapshot.json');
    await replaceFileAtomic(file, '{"a":1}\n');
    await replaceFileAtomic(file, Buffer.from('{"a":2}\n'));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":2}\n');
    expect(fs.readdirSync(dir)).toEqual(['snapshot.json']);
  });
});

// Without its fsyncs, replaceFileAtomic must stay just as atomic for readers.
describe.each([
  ['writeFileAtomic', writeFileAtomic],
  ['replaceFileAtomic', replaceFileAtomic],
  ['replaceFileAtomicSync', async (file: string, data: string | Buffer) => replaceFileAtomicSync(file, data)],
])('a reader in another process while %s rewrites the file', (_name, write) => {
  // Two contents of different lengths and bytes: a torn read is shorter than either, a mixed
  // one has bytes of both; either way it equals neither.
  const sizes = { a: 1024 * 1024 + 17, b: 640 * 1024 + 5 };
  const readerScript = `
    import fs from 'node:fs';
    const [file, stop, sizeA, sizeB] = process.argv.slice(1);
    const a = Buffer.alloc(Number(sizeA), 'a\\n'), b = Buffer.alloc(Number(sizeB), 'B-');
    const seen = { reads: 0, a: 0, b: 0, bad: 0, badLengths: [] };
    process.stdout.write('ready\\n');
    while (!fs.existsSync(stop)) {
      let buf;
      try { buf = fs.readFileSync(file); } catch (e) { if (e.code === 'ENOENT') continue; throw e; }
      seen.reads++;
      if (buf.equals(a)) seen.a++;
      else if (buf.equals(b)) seen.b++;
      else { seen.bad++; if (seen.badLengths.length < 5) seen.badLengths.push(buf.length); }
    }
    process.stdout.write(JSON.stringify(seen) + '\\n');
  `;

  it('never sees a partial or mixed file over 200 alternating writes', async () => {
    const file = path.join(dir, 'snapshot.json');
    const stop = path.join(dir, 'stop');
    const a = Buffer.alloc(sizes.a, 'a\n');
    const b = Buffer.alloc(sizes.b, 'B-');
    const reader = spawn(process.execPath, ['--input-type=module', '-e', readerScript, file, stop, String(sizes.a), String(sizes.b)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    reader.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => reader.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      reader.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      reader.once('exit', () => reject(new Error(`reader exited early: ${err}`)));
    });

    for (let i = 0; i < 200; i++) await write(file, i % 2 === 0 ? a : b);
    fs.writeFileSync(stop, '');
    expect(await exited, err).toBe(0);

    const seen = JSON.parse(out.slice(out.indexOf('ready\n') + 'ready\n'.length)) as { reads: number; a: number; b: number; bad: number };
    expect(seen.bad, JSON.stringify(seen)).toBe(0);
    // The reader really overlapped the writes: it saw both versions.
    expect(seen.a).toBeGreaterThan(0);
    expect(seen.b).toBeGreaterThan(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['snapshot.json', 'stop']);
  });
});

// A nearly full disk makes write(2) write what fits and return a short count; only the next call
// fails. A writer that does not loop and check renames a truncated file over a good one.
describe.skipIf(tmpfsUnavailable !== null)('on a full disk (a real 64 KiB tmpfs)', () => {
  let fsys: SmallTmpfs;
  beforeEach(() => {
    fsys = mountSmallTmpfs(64 * 1024);
  });
  afterEach(() => {
    fsys.dispose();
  });

  const good = Buffer.alloc(20 * 1024, 'good\n');
  const bigger = Buffer.alloc(100 * 1024, 'big\n');

  describe.each([
    ['writeFileAtomic', writeFileAtomic],
    ['replaceFileAtomic', replaceFileAtomic],
    ['writeFileAtomicSync', async (file: string, data: Buffer) => writeFileAtomicSync(file, data)],
    ['replaceFileAtomicSync', async (file: string, data: Buffer) => replaceFileAtomicSync(file, data)],
    // A checkpoint is written in parts (its sections), one after the other.
    ['writeFileAtomic in parts', (file: string, data: Buffer) => writeFileAtomic(file, inParts(data))],
    ['writeFileAtomicSync in parts', async (file: string, data: Buffer) => writeFileAtomicSync(file, inParts(data))],
  ])('%s', (_name, write) => {
    it('fails with ENOSPC, keeps the good file byte for byte and leaves no tmp file', async () => {
      const file = path.join(fsys.dir, 'checkpoint.bin');
      await write(file, good);
      await expect(write(file, bigger)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(fs.readFileSync(file).equals(good)).toBe(true);
      expect(fs.readdirSync(fsys.dir)).toEqual(['checkpoint.bin']);
      // Once there is room again, the same write goes through.
      fsys.resize(1024 * 1024);
      await write(file, bigger);
      expect(fs.readFileSync(file).equals(bigger)).toBe(true);
      expect(fs.readdirSync(fsys.dir)).toEqual(['checkpoint.bin']);
    });
  });
});

if (tmpfsUnavailable !== null) console.warn(`atomicFile full-disk tests skipped: ${tmpfsUnavailable}`);
