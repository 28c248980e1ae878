/**
 * chokidar is imported when the first watcher starts, not when the daemon's modules load: a
 * restarted daemon writes its first snapshot before it follows, and that need not wait for
 * chokidar. What is written while the import is under way is still signalled (the watch's
 * 'ready' says to look at every file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();

afterEach(() => {
  vi.doUnmock('chokidar');
  vi.resetModules();
});

/** A fresh copy of the watcher's module (no chokidar loaded yet), with chokidar's imports counted. */
async function freshDirWatcher() {
  vi.resetModules();
  const imports = { count: 0 };
  vi.doMock('chokidar', async () => {
    imports.count++;
    return vi.importActual<typeof import('chokidar')>('chokidar');
  });
  const { DirWatcher } = await import('../../src/sources/dirWatcher.js');
  return { DirWatcher, imports };
}

describe('DirWatcher loading chokidar', () => {
  it('imports chokidar when a watcher starts, not with its module', async () => {
    const { DirWatcher, imports } = await freshDirWatcher();
    const dir = dirs.make('oak-watch-load-');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '');
    expect(imports.count).toBe(0);
    const signalled = new Promise<void>((resolve) => {
      const watcher = new DirWatcher(dir, new Map([[path.resolve(dir, 'a.jsonl'), 'a']]), () => {
        resolve();
        void watcher.close();
      }, IGNORE_FAULTS);
      watcher.start();
    });
    await signalled;
    expect(imports.count).toBe(1);
  });

  it('signals a line appended while chokidar is still being imported, and one appended after', async () => {
    const { DirWatcher } = await freshDirWatcher();
    const dir = dirs.make('oak-watch-load-');
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, '');
    let signals = 0;
    let waiting: (() => void) | null = null;
    const watcher = new DirWatcher(dir, new Map([[path.resolve(file), 'a']]), () => {
      signals++;
      waiting?.();
    }, IGNORE_FAULTS);
    const next = () => new Promise<void>((resolve) => (waiting = resolve));
    try {
      const first = next();
      watcher.start();
      // In the same turn as start(): the import has not finished, nothing watches yet.
      fs.appendFileSync(file, '{"n":1}\n');
      await first;
      expect(signals).toBeGreaterThanOrEqual(1);
      const before = signals;
      const second = next();
      fs.appendFileSync(file, '{"n":2}\n');
      await second;
      expect(signals).toBeGreaterThan(before);
    } finally {
      await watcher.close();
    }
  });
});
