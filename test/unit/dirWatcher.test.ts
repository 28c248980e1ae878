/**
 * The telemetry dir's watcher on real files: an append says "look again" for that file (a
 * symlinked file's target too), other files say nothing, a burst is one signal per turn, a dir
 * made again is watched again, a file made after the start is watched from the next check; and
 * following appends never lists the dir (chokidar watching the dir listed it and lstat-ed every
 * entry on each event, back to back while a writer appended; it watches the files now).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { DirWatcher } from '../../src/sources/dirWatcher.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();

/** Dir listings made through node:fs/promises (what chokidar's readdirp uses), counted. */
const listings = { count: 0 };
const originalReaddir = fsp.readdir;
fsp.readdir = ((...args: Parameters<typeof fsp.readdir>) => {
  listings.count++;
  return originalReaddir(...args);
}) as typeof fsp.readdir;
syncBuiltinESMExports();
afterAll(() => {
  fsp.readdir = originalReaddir;
  syncBuiltinESMExports();
});

/** A watcher on `dir` for the files `names` (keyed by name), and the signals it gave, awaitable. */
function watch(dir: string, names: readonly string[]) {
  const signals: string[] = [];
  let waiting: { key: string; resolve: () => void } | null = null;
  const files = new Map(names.map((name) => [path.resolve(dir, name), name] as const));
  const watcher = new DirWatcher(dir, files, (key) => {
    signals.push(key);
    if (waiting !== null && waiting.key === key) {
      const { resolve } = waiting;
      waiting = null;
      resolve();
    }
  }, IGNORE_FAULTS);
  const next = (key: string) => new Promise<void>((resolve) => (waiting = { key, resolve }));
  return { watcher, signals, next };
}

let open: DirWatcher[] = [];
afterEach(async () => {
  for (const w of open) await w.close();
  open = [];
});

describe('DirWatcher', () => {
  it('signals the file appended to, not the others, and lists the dir at no point while it follows', async () => {
    const dir = dirs.make('oak-watch-');
    for (const name of ['a.jsonl', 'b.jsonl', 'other.txt']) fs.writeFileSync(path.join(dir, name), '');
    const { watcher, signals, next } = watch(dir, ['a.jsonl', 'b.jsonl']);
    open.push(watcher);
    const ready = Promise.all([next('b.jsonl')]);
    watcher.start();
    await ready;
    listings.count = 0;
    signals.length = 0;
    for (let i = 0; i < 30; i++) {
      const seen = next('a.jsonl');
      fs.appendFileSync(path.join(dir, 'a.jsonl'), `{"n":${i}}\n`);
      fs.appendFileSync(path.join(dir, 'other.txt'), 'x\n');
      await seen;
    }
    // A burst within one turn: one signal.
    const burst = next('b.jsonl');
    for (let i = 0; i < 50; i++) fs.appendFileSync(path.join(dir, 'b.jsonl'), `{"n":${i}}\n`);
    await burst;
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals.filter((k) => k === 'a.jsonl').length).toBe(30);
    expect(signals.filter((k) => k === 'b.jsonl').length).toBe(1);
    expect(signals.every((k) => k === 'a.jsonl' || k === 'b.jsonl')).toBe(true);
    expect(listings.count).toBe(0);
  });

  it('follows a symlinked file to its target outside the dir', async () => {
    const dir = dirs.make('oak-watch-');
    const elsewhere = path.join(dirs.make('oak-target-'), 'real.jsonl');
    fs.writeFileSync(elsewhere, '');
    fs.symlinkSync(elsewhere, path.join(dir, 'a.jsonl'));
    const { watcher, next } = watch(dir, ['a.jsonl']);
    open.push(watcher);
    const ready = next('a.jsonl');
    watcher.start();
    await ready;
    const seen = next('a.jsonl');
    fs.appendFileSync(elsewhere, '{}\n');
    await seen;
  });

  it('watches a dir removed and made again once check() sees it', async () => {
    const parent = dirs.make('oak-watch-');
    const dir = path.join(parent, 'telemetry');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '');
    const { watcher, next } = watch(dir, ['a.jsonl']);
    open.push(watcher);
    const ready = next('a.jsonl');
    watcher.start();
    await ready;
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '');
    const rearmed = next('a.jsonl');
    watcher.check();
    await rearmed;
    const seen = next('a.jsonl');
    fs.appendFileSync(path.join(dir, 'a.jsonl'), '{}\n');
    await seen;
  });

  it('watches a file made after the start once check() sees it, without listing the dir', async () => {
    const dir = dirs.make('oak-watch-');
    fs.writeFileSync(path.join(dir, 'b.jsonl'), '');
    const { watcher, signals, next } = watch(dir, ['a.jsonl', 'b.jsonl']);
    open.push(watcher);
    const ready = next('b.jsonl');
    watcher.start();
    await ready;
    listings.count = 0;
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '');
    const added = next('a.jsonl');
    watcher.check();
    await added;
    // chokidar's watch of the new file is on a moment later: append until it tells (an event, not a sleep).
    signals.length = 0;
    const seen = next('a.jsonl');
    const appending = setInterval(() => fs.appendFileSync(path.join(dir, 'a.jsonl'), '{}\n'), 20);
    try {
      await seen;
    } finally {
      clearInterval(appending);
    }
    expect(signals).toContain('a.jsonl');
    expect(listings.count).toBe(0);
  });
});
