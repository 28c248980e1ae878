import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomicPackage from 'write-file-atomic';

/**
 * Replaces a file's whole content, atomically and durably.
 *
 * Why: snapshots and checkpoints are read by other processes (CLI, HTTP) while the daemon
 * rewrites them. write-file-atomic writes a tmp file in the same directory (`<name>.<number>`,
 * so the rename never crosses a filesystem), fsyncs it, then renames it over the target: a
 * reader opens either the old file or the new one, never half of one. The rename itself is only
 * durable once the directory entry reaches the disk, hence the directory fsync afterwards;
 * without it a crash can bring back the old file (or none) even though we had moved on.
 *
 * The directory must exist. In-process writes to the same path are queued by the package.
 * Readers that list the directory should ignore `<name>.<digits>` tmp files: one is left behind
 * only if the process is killed mid-write (the package removes it on normal exit and on signals).
 *
 * Signals: while a write is in flight the package (through signal-exit) listens on SIGTERM,
 * SIGINT and others, and re-raises a signal when it sees no other listener left. A handler added
 * with `process.once` has already been removed when signal-exit looks, so a SIGTERM arriving
 * mid-write kills the process after the handler started its graceful stop. Handle signals with
 * `process.on` (and make the handler idempotent) in any process that uses these functions.
 */
export async function writeFileAtomic(filePath: string, data: string | Buffer): Promise<void> {
  await writeFileAtomicPackage(filePath, data, { fsync: true });
  await fsyncDirectory(path.dirname(filePath));
}

/**
 * Same atomic replace (tmp file + rename: readers see the old file or the new one, never half),
 * without the two fsyncs. For derived files rewritten many times a second (the snapshot): the
 * fsyncs cost most of each write, and what a crash can lose (the newest versions, or on some
 * filesystems the file's content) is rebuilt from the durable checkpoint at the next start.
 */
export async function replaceFileAtomic(filePath: string, data: string | Buffer): Promise<void> {
  await writeFileAtomicPackage(filePath, data, { fsync: false });
}

/** Same, blocking: for shutdown paths where the event loop may not get another turn. */
export function writeFileAtomicSync(filePath: string, data: string | Buffer): void {
  writeFileAtomicPackage.sync(filePath, data, { fsync: true });
  fsyncDirectorySync(path.dirname(filePath));
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
