import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
// @ts-expect-error plain .mjs helper shared with the child processes, no type declarations
import { lineFor } from '../support/appendWorker.mjs';
import { ROOT } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const builtWriter = path.join(ROOT, 'dist/src/io/appendOnlyWriter.js');
const worker = path.join(ROOT, 'test/support/appendWorker.mjs');

const dirs = tempDirsPerTest();
let dir: string;
beforeEach(() => {
  dir = dirs.make('oak-append-');
});

function runWorker(file: string, id: number, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, builtWriter, file, String(id), String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${id} exited ${code}: ${stderr}`))));
  });
}

describe('appendLine under concurrent writers', () => {
  it('never interleaves or tears lines from several processes, even lines of 64-200 KiB', async () => {
    expect(fs.existsSync(builtWriter), `${builtWriter} missing: run "npm run build" first`).toBe(true);
    const file = path.join(dir, 'nested', 'shared.jsonl'); // parent dir created by the writers themselves
    const workers = 6;
    const count = 120;
    await Promise.all(Array.from({ length: workers }, (_, w) => runWorker(file, w, count)));

    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    // An empty line is allowed: a writer that checks the last byte while another's big record is
    // still being copied in starts its own record with "\n" (appendLine explains why that is
    // harmless). Readers skip empty lines; what must never happen is a torn or mixed record.
    const all = text.slice(0, -1).split('\n');
    const lines = all.filter((line) => line !== '');
    expect(lines).toHaveLength(workers * count);
    expect(all.length - lines.length).toBeLessThan(workers * count);

    const expected = new Map<string, number>();
    for (let w = 0; w < workers; w++) for (let i = 0; i < count; i++) expected.set(lineFor(w, i), 0);
    let large = 0;
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      const seen = expected.get(line);
      expect(seen, `unexpected line starting ${line.slice(0, 80)}`).toBe(0);
      expected.set(line, 1);
      if (line.length >= 64 * 1024) large++;
    }
    expect([...expected.values()].every((n) => n === 1)).toBe(true);
    expect(large).toBe(workers * (count / 10));
    // Each worker's own lines stay in the order it wrote them.
    for (let w = 0; w < workers; w++) {
      const order = lines.map((l) => JSON.parse(l) as { worker: number; i: number }).filter((r) => r.worker === w).map((r) => r.i);
      expect(order).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  });
});

describe('appendLine', () => {
  it('creates the parent directory and terminates each line', () => {
    const file = path.join(dir, 'a', 'b', 'f.jsonl');
    appendLine(file, '{"x": 1}');
    appendLine(file, '{"x": 2}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x": 1}\n{"x": 2}\n');
  });

  it('rejects a line containing a newline and writes nothing', () => {
    const file = path.join(dir, 'f.jsonl');
    expect(() => appendLine(file, '{"x": 1}\n{"y": 2}')).toThrow(/must not contain/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('writes non-ASCII text as UTF-8', () => {
    const file = path.join(dir, 'f.jsonl');
    appendLine(file, '"Ünï ✓ 😀"');
    expect(fs.readFileSync(file, 'utf8')).toBe('"Ünï ✓ 😀"\n');
  });

  it('starts a new line after a fragment left at the end, so the record is not glued to it', () => {
    const file = path.join(dir, 'f.jsonl');
    fs.writeFileSync(file, '{"x": 1}\n{"torn": ');
    appendLine(file, '{"x": 2}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x": 1}\n{"torn": \n{"x": 2}\n');
    appendLine(file, '{"x": 3}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"x": 1}\n{"torn": \n{"x": 2}\n{"x": 3}\n');
  });
});
