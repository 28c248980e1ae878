import fs from 'node:fs';

/**
 * A lock held for milliseconds by short-lived processes (the Claude Code hook): an O_EXCL file
 * holding the owner's pid. A lock whose owner is gone, or older than `staleMs` (an owner killed
 * mid-run, a pid reused), is taken over; the takeover itself is one rename of the stale file to a
 * name of our own, so of two processes taking over the same stale lock only one succeeds.
 */
export interface ShortLockOptions {
  readonly staleMs: number;
  /** Give up (throw) after waiting this long. */
  readonly timeoutMs: number;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

export function withShortLock<T>(lockPath: string, options: ShortLockOptions, run: () => T): T {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 1;
  for (;;) {
    if (tryCreate(lockPath)) break;
    if (takeOverIfStale(lockPath, options.staleMs) && tryCreate(lockPath)) break;
    if (Date.now() > deadline) throw new Error(`lock ${lockPath} still held after ${options.timeoutMs} ms`);
    Atomics.wait(pause, 0, 0, delay);
    delay = Math.min(delay * 2, 20);
  }
  try {
    return run();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

function tryCreate(lockPath: string): boolean {
  try {
    fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function takeOverIfStale(lockPath: string, staleMs: number): boolean {
  let stat: fs.Stats;
  let owner: number;
  try {
    stat = fs.statSync(lockPath);
    owner = Number(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return false; // released meanwhile: the next try creates it
  }
  const old = Date.now() - stat.mtimeMs > staleMs;
  // An empty file is an owner between its create and its write: only age makes it stale.
  const dead = Number.isInteger(owner) && owner > 0 && !isAlive(owner);
  if (!old && !dead) return false;
  const grave = `${lockPath}.stale.${process.pid}`;
  try {
    fs.renameSync(lockPath, grave);
  } catch {
    return false;
  }
  // Another process may have taken the stale lock over and made a fresh one between our look and
  // the rename: then we hold its live lock, and give it back (link fails if a third made one).
  if (fs.statSync(grave).ino !== stat.ino) {
    try {
      fs.linkSync(grave, lockPath);
    } catch {
      // A third process holds the path now; its lock stands, the one we moved is lost to its owner's release.
    }
    fs.rmSync(grave, { force: true });
    return false;
  }
  fs.rmSync(grave, { force: true });
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
