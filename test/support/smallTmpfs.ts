import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real small filesystem for full-disk tests: a tmpfs mounted at a temp dir (needs root).
 * Writes past its size fail the way a full disk does: a short write, then ENOSPC.
 */
export interface SmallTmpfs {
  readonly dir: string;
  /** Grows (or shrinks) it in place; the files stay. */
  resize(bytes: number): void;
  /** Unmounts and removes the mount point. */
  dispose(): void;
}

export function mountSmallTmpfs(bytes: number): SmallTmpfs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmdirSync(dir);
    throw error;
  }
  return {
    dir,
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'pipe' }),
    dispose: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      fs.rmdirSync(dir);
    },
  };
}

/** Null when this machine mounts a tmpfs for us; else why not (the tests say so and skip). */
export const tmpfsUnavailable: string | null = (() => {
  try {
    mountSmallTmpfs(64 * 1024).dispose();
    return null;
  } catch (error) {
    return `cannot mount a tmpfs here (needs root): ${(error as Error).message.split('\n')[0]}`;
  }
})();

/** Fills the filesystem holding `dir` until a write fails; returns the filler's path. */
export function fillUp(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const block = Buffer.alloc(4096, 0x66);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

/**
 * Null when `setpriv` can run the built CLI as nobody (65534); else why not: no setpriv, or a
 * checkout that user cannot read (a clone inside a root-only temp dir).
 */
export const nobodyUnavailable: string | null = (() => {
  const cli = path.resolve(import.meta.dirname, '../../dist/bin/oak-telemetry.js');
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, '--version'], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot run the built CLI as an unprivileged user (uid 65534): ${(error as Error).message.split('\n')[0]}`;
  }
})();

/** The command line prefix that runs a program as nobody. */
export const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] as const;
