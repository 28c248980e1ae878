import fs from 'node:fs';
import path from 'node:path';

/**
 * Replaces a file's whole content, atomically and durably.
 *
 * Why: snapshots and checkpoints are read by other processes (CLI, HTTP) while the daemon
 * rewrites them. We write a tmp file in the same directory (`<name>.<digits>`, so the rename
 * never crosses a filesystem), fsync it, then rename it over the target: a reader opens either
 * the old file or the new one, never half of one. The rename itself is only durable once the
 * directory entry reaches the disk, hence the directory fsync afterwards; without it a crash can
 * bring back the old file (or none) even though we had moved on.
 *
 * A good file is never replaced by a short one: write(2) may write fewer bytes than asked (a
 * nearly full disk writes what fits, and only the NEXT call fails with ENOSPC), so every byte is
 * written in a loop and the tmp file's size is checked before the rename. On any failure the
 * tmp file is removed, the target is left as it was, and the error is thrown with its errno
 * `code` (ENOSPC, EROFS, EACCES...; EIO for a size that does not match) for the caller to
 * report as a fault.
 *
 * The directory must exist. In-process async writes to the same path are queued, so the last
 * call's content is the one that stays. Readers that list the directory should ignore
 * `<name>.<digits>` tmp files: one is left behind only if the process dies mid-write.
 *
 * (We used the write-file-atomic package before; it does a single write(2) and never notices a
 * short one, which is how a full disk left a truncated checkpoint.)
 */
export async function writeFileAtomic(filePath: string, data: FileData): Promise<void> {
  await queued(filePath, async () => {
    await replaceAsync(filePath, toParts(data), true);
    await fsyncDirectory(path.dirname(filePath));
  });
}

/**
 * Same atomic replace (tmp file + rename: readers see the old file or the new one, never half),
 * without the two fsyncs. For derived files rewritten many times a second (the snapshot): the
 * fsyncs cost most of each write, and what a crash can lose (the newest versions, or on some
 * filesystems the file's content) is rebuilt from the durable checkpoint at the next start.
 */
export async function replaceFileAtomic(filePath: string, data: FileData): Promise<void> {
  await queued(filePath, () => replaceAsync(filePath, toParts(data), false));
}

/** Same, blocking: for shutdown paths where the event loop may not get another turn. */
export function writeFileAtomicSync(filePath: string, data: FileData): void {
  replaceSync(filePath, toParts(data), true);
}

/**
 * replaceFileAtomic, blocking: for the snapshot, written several times a second while lines
 * arrive. Its seven steps as async calls each waited for a turn of a busy event loop (~20 ms
 * from building the snapshot to the file there); done at once, without fsyncs, they take well
 * under a millisecond for a snapshot-sized file. Not for large files or slow disks.
 */
export function replaceFileAtomicSync(filePath: string, data: FileData): void {
  replaceSync(filePath, toParts(data), false);
}

function replaceSync(filePath: string, parts: readonly Buffer[], durable: boolean): void {
  const target = realTarget(filePath);
  const tmp = tmpName(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', modeOf(target));
    const total = totalLength(parts);
    let at = 0;
    for (const bytes of parts) {
      for (let offset = 0; offset < bytes.length; ) {
        const written = fs.writeSync(fd, bytes, offset, bytes.length - offset, at) || fail(at, total);
        offset += written;
        at += written;
      }
    }
    if (durable) fs.fsyncSync(fd);
    checkSize(fs.fstatSync(fd).size, total);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(tmp);
    throw error;
  }
  if (durable) fsyncDirectorySync(path.dirname(target));
}

async function replaceAsync(filePath: string, parts: readonly Buffer[], durable: boolean): Promise<void> {
  const target = await fs.promises.realpath(filePath).catch(() => filePath);
  const tmp = tmpName(target);
  const mode = await fs.promises.stat(target).then(
    (stats) => stats.mode & 0o7777,
    () => DEFAULT_MODE,
  );
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'w', mode);
    const total = totalLength(parts);
    let at = 0;
    for (const bytes of parts) {
      for (let offset = 0; offset < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, at);
        offset += bytesWritten || fail(at, total);
        at += bytesWritten;
      }
    }
    if (durable) await handle.sync();
    checkSize((await handle.stat()).size, total);
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw error;
  }
}

const DEFAULT_MODE = 0o666;

function realTarget(filePath: string): string {
  try {
    return fs.realpathSync(filePath);
  } catch {
    return filePath;
  }
}

function modeOf(target: string): number {
  try {
    return fs.statSync(target).mode & 0o7777;
  } catch {
    return DEFAULT_MODE;
  }
}

let tmpCounter = 0;

/**
 * Digits only, unique within the process (counter) and across live processes (pid). A name
 * left by a dead process with our pid (a container's pid 1 after kill -9) is simply reused.
 */
function tmpName(target: string): string {
  tmpCounter = (tmpCounter + 1) % 1_000_000;
  return `${target}.${process.pid}${String(tmpCounter).padStart(6, '0')}`;
}

/**
 * A file's content: text, bytes, or bytes in parts written one after the other (a checkpoint's
 * sections: joining 60+ MB into one Buffer first cost a copy and its page faults per write).
 */
export type FileData = string | Buffer | readonly Buffer[];

function toParts(data: FileData): readonly Buffer[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  return Buffer.isBuffer(data) ? [data] : data;
}

function totalLength(parts: readonly Buffer[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

/** An error carrying an errno-style code, like the ones fs throws. */
function ioError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** write(2) returned 0 for a non-empty request: nothing more will fit; never loop on it. */
function fail(written: number, total: number): never {
  throw ioError('EIO', `write made no progress after ${written} of ${total} bytes`);
}

function checkSize(size: number, expected: number): void {
  if (size !== expected) throw ioError('EIO', `tmp file has ${size} bytes after writing ${expected}`);
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // The write's own error is the one worth throwing.
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Never created, or already gone.
  }
}

const queues = new Map<string, Promise<void>>();

/** Runs `job` after every earlier job for the same path, so writes land in call order. */
async function queued(filePath: string, job: () => Promise<void>): Promise<void> {
  const key = path.resolve(filePath);
  const previous = queues.get(key) ?? Promise.resolve();
  const current = previous.then(job);
  const settled = current.catch(() => undefined);
  queues.set(key, settled);
  try {
    await current;
  } finally {
    if (queues.get(key) === settled) queues.delete(key);
  }
}

/** Platforms that cannot open (Windows: EISDIR) or fsync (some filesystems: EINVAL) a directory. */
const UNSUPPORTED = new Set(['EISDIR', 'EINVAL']);

async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
