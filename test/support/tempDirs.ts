/**
 * Temp dirs for tests that work on real files: made under the OS temp dir, removed by the hook
 * that made them (after each test, or after the file), so a failed test leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

export class TempDirs {
  private readonly dirs: string[] = [];

  /** A new empty dir, removed with the others. */
  make(prefix = 'oak-test-'): string {
    return this.track(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  }

  /** Removes `dir` with the others (a dir made elsewhere, e.g. a fixture copy). */
  track(dir: string): string {
    this.dirs.push(dir);
    return dir;
  }

  removeAll(): void {
    for (const dir of this.dirs.splice(0)) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // Fault tests take permissions away; give them back (as the test's user) and try again.
        spawnSync('chmod', ['-R', 'u+rwX', dir]);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

/**
 * Dirs removed after each test of the calling file. `before` runs first, even when it fails:
 * stop the processes that still write into the dirs there.
 */
export function tempDirsPerTest(before?: () => Promise<void> | void): TempDirs {
  const dirs = new TempDirs();
  afterEach(async () => {
    try {
      await before?.();
    } finally {
      dirs.removeAll();
    }
  });
  return dirs;
}

/** Dirs removed once the calling file's tests are done (make them in beforeAll or in a test). */
export function tempDirsPerFile(): TempDirs {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());
  return dirs;
}
