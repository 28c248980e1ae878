import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandFailed } from '../errors.js';
import { readRegularFile } from './regularFile.js';

/**
 * One daemon per state directory: `<stateDir>/daemon.lock`, created with O_EXCL ('wx') so that
 * of two daemons starting together exactly one creates it.
 *
 * A lock left by a daemon that died (SIGKILL, power loss) must not block the next start, so an
 * existing lock is taken over when its pid is gone, when it cannot be read or parsed, or when
 * it names our own pid without being ours (a restarted container reuses pids). It is respected
 * when its pid is alive on this host (EPERM from kill(pid, 0) means alive), and always when it
 * comes from another host, whose processes we cannot check. Takeovers are serialized by a
 * second O_EXCL file (see withTakeoverGuard), so racing starts still end with one winner.
 *
 * Known limit: a dead daemon's pid reused by an unrelated process looks alive; the message then
 * says which pid to check and which file to remove.
 */

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO-8601. */
  startedAt: string;
}

export interface LockHandle {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours. Idempotent; never throws for a missing file. */
  release(): void;
}

export const LOCK_FILE_NAME = 'daemon.lock';

/**
 * Between creating the file and writing its one line, a lock is empty. An empty lock younger
 * than this is a daemon starting right now, not garbage.
 */
const CREATION_GRACE_MS = 2000;

/** Lock paths this process holds, so a second acquire here fails instead of taking over our own pid. */
const heldHere = new Set<string>();

export function acquireLock(stateDir: string): LockHandle {
  const dir = path.resolve(stateDir);
  const lockPath = path.join(dir, LOCK_FILE_NAME);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CommandFailed(`cannot create state directory ${dir}: ${errorText(err)}`);
  }
  if (heldHere.has(lockPath)) {
    throw new CommandFailed(`lock ${lockPath} is already held by this process (pid ${process.pid})`);
  }

  const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  const record = Buffer.from(JSON.stringify(owner) + '\n', 'utf8');

  if (tryCreate(lockPath, record)) return won(lockPath, owner, record);
  const seen = readLock(lockPath);
  if (seen !== 'gone') {
    const refusal = whyHeld(lockPath, seen);
    if (refusal !== undefined) throw new CommandFailed(refusal);
  }
  const took = withTakeoverGuard(lockPath, record, () => {
    // Judge again: another process may have taken over since we looked.
    const current = readLock(lockPath);
    if (current !== 'gone') {
      const refusal = whyHeld(lockPath, current);
      if (refusal !== undefined) throw new CommandFailed(refusal);
      try {
        fs.rmSync(lockPath, { force: true });
      } catch (err) {
        throw new CommandFailed(`cannot remove stale lock ${lockPath}: ${errorText(err)}`);
      }
    }
    return tryCreate(lockPath, record);
  });
  if (took) return won(lockPath, owner, record);
  // A process that was not taking over created the lock right after we removed the stale one.
  const winner = readLock(lockPath);
  throw new CommandFailed(
    (winner === 'gone' ? undefined : whyHeld(lockPath, winner)) ?? `could not acquire ${lockPath}: it changed while we took over a stale lock; try again`,
  );
}

function won(lockPath: string, owner: LockOwner, record: Buffer): LockHandle {
  heldHere.add(lockPath);
  return handleFor(lockPath, owner, record);
}

/** True when we created the file; false when it already exists. */
function tryCreate(lockPath: string, record: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw lockFault(`cannot create lock ${lockPath}: ${errorText(err)}`, err);
  }
  try {
    // One write call: a reader sees the file empty or whole, which whyHeld() relies on.
    fs.writeSync(fd, record, 0, record.length);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(lockPath, { force: true });
    throw lockFault(`cannot write lock ${lockPath}: ${errorText(err)}`, err);
  }
  fs.closeSync(fd);
  return true;
}

interface SeenLock {
  /** The bytes as read; null when the file could not be read. */
  raw: Buffer | null;
  /** Parsed owner; undefined for an unreadable or garbage file. */
  owner: LockOwner | undefined;
  ageMs: number;
}

function readLock(lockPath: string): SeenLock | 'gone' {
  let ageMs = Infinity;
  try {
    ageMs = Date.now() - fs.statSync(lockPath).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
  }
  let raw: Buffer;
  try {
    // A FIFO put there must not block the start: it reads as an unreadable lock.
    const read = readRegularFile(lockPath);
    if (read === null) return 'gone';
    raw = read;
  } catch {
    return { raw: null, owner: undefined, ageMs };
  }
  return { raw, owner: parseOwner(raw), ageMs };
}

function parseOwner(raw: Buffer): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, hostname, startedAt } = value as Record<string, unknown>;
  // pid 0 and negative pids address process groups in kill(2): never probe them.
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof hostname !== 'string' || typeof startedAt !== 'string') return undefined;
  return { pid, hostname, startedAt };
}

/** Why an existing lock must be respected, or undefined when it is stale and may be taken over. */
function whyHeld(lockPath: string, seen: SeenLock): string | undefined {
  const { owner } = seen;
  if (owner === undefined) {
    if (seen.raw !== null && seen.raw.length === 0 && seen.ageMs < CREATION_GRACE_MS) {
      return `lock ${lockPath} is being created by another process right now; try again`;
    }
    return undefined;
  }
  if (owner.hostname !== os.hostname()) {
    return `lock ${lockPath} is held by pid ${owner.pid} on host ${owner.hostname} (since ${owner.startedAt}), which cannot be checked from here; remove the file if that daemon is gone`;
  }
  if (owner.pid === process.pid) return undefined;
  if (isAlive(owner.pid)) {
    return `another daemon (pid ${owner.pid}, since ${owner.startedAt}) holds lock ${lockPath}; stop it first, or remove the file if pid ${owner.pid} is not an oak-telemetry daemon`;
  }
  return undefined;
}

/** Whether a process runs here with this pid: signal 0 checks existence; EPERM means it runs under another user. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Runs a takeover with `<lock>.takeover` created O_EXCL. Removing a stale lock is "read, judge,
 * unlink": without this guard, a second process could take over between our read and our unlink
 * and we would delete its fresh lock, leaving two daemons. Under the guard, nobody else removes
 * the lock (its owner is dead, so it will not release it either), so we unlink what we judged.
 */
function withTakeoverGuard<T>(lockPath: string, record: Buffer, takeOver: () => T): T {
  const guard = `${lockPath}.takeover`;
  if (!tryCreate(guard, record) && !(removeAbandonedGuard(guard) && tryCreate(guard, record))) {
    throw new CommandFailed(`lock ${lockPath} is being taken over by another process right now; try again`);
  }
  try {
    return takeOver();
  } finally {
    removeIfHolding(guard, record);
  }
}

/**
 * A guard lives for a few system calls; one older than this was left by a process that died
 * during a takeover, and would otherwise block every later start. (Clearing it is itself
 * unguarded; that matters only if two processes start within microseconds of each other right
 * after such a crash.)
 */
const ABANDONED_GUARD_MS = 10_000;

function removeAbandonedGuard(guard: string): boolean {
  try {
    if (Date.now() - fs.statSync(guard).mtimeMs < ABANDONED_GUARD_MS) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new CommandFailed(`cannot check ${guard}: ${errorText(err)}`);
  }
  fs.rmSync(guard, { force: true });
  return true;
}

/** Removes the file if it still holds exactly the record we wrote (same pid, same start time). */
function removeIfHolding(file: string, record: Buffer): void {
  let current: Buffer;
  try {
    const read = readRegularFile(file);
    if (read === null) return;
    current = read;
  } catch {
    return;
  }
  if (current.equals(record)) fs.rmSync(file, { force: true });
}

function handleFor(lockPath: string, owner: LockOwner, record: Buffer): LockHandle {
  let released = false;
  return {
    path: lockPath,
    owner,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(lockPath);
      removeIfHolding(lockPath, record);
    },
  };
}

/** The lock could not be written: a CommandFailed carrying the errno code (a full or read-only state dir). */
export class LockWriteFailed extends CommandFailed {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function lockFault(message: string, err: unknown): LockWriteFailed {
  return new LockWriteFailed(message, (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
}

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}
