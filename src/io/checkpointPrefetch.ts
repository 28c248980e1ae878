import fs from 'node:fs';
import path from 'node:path';
import { fileFault, openRegularFile } from './regularFile.js';

/** The checkpoint's file name in the state dir (here, apart from checkpointStore, so reading it loads no projection). */
export const CHECKPOINT_FILE = 'checkpoint.bin';

/**
 * The checkpoint's bytes as a read would return them: the bytes (null: no file), or the read's
 * error thrown again, so the caller refuses it exactly as if it had read the file itself.
 */
export type CheckpointRead = () => Buffer | null;

/**
 * Starts reading the state dir's checkpoint on libuv's pool while the caller does other work
 * (a daemon loads its modules meanwhile): copying a 25 MB checkpoint into a fresh buffer is
 * ~20 ms of page faults and copying, which no longer run on the main thread before the first
 * snapshot. Never rejects: a failure is kept for the read to throw.
 */
export function prefetchCheckpoint(stateDir: string): Promise<CheckpointRead> {
  const file = path.join(stateDir, CHECKPOINT_FILE);
  return readRegularFileAsync(file).then(
    (bytes) => () => bytes,
    (error: unknown) => () => {
      throw error;
    },
  );
}

/** readRegularFile (never a FIFO or a directory; null when missing), the bytes read off the main thread. */
async function readRegularFileAsync(file: string): Promise<Buffer | null> {
  const opened = openRegularFile(file);
  if (opened === null) return null;
  const { fd, stat } = opened;
  try {
    let buffer = Buffer.allocUnsafe(stat.size);
    let at = 0;
    // To the end, as readFileSync reads: the size is where to start, not a promise.
    for (;;) {
      if (at === buffer.length) {
        const probe = Buffer.allocUnsafe(64 * 1024);
        const more = await readAt(fd, probe, 0, at);
        if (more === 0) return buffer;
        buffer = Buffer.concat([buffer, probe.subarray(0, more)]);
        at += more;
        continue;
      }
      const n = await readAt(fd, buffer, at, at);
      if (n === 0) return buffer.subarray(0, at);
      at += n;
    }
  } catch (error) {
    throw fileFault(file, 'read', error);
  } finally {
    fs.close(fd, () => undefined);
  }
}

function readAt(fd: number, buffer: Buffer, offset: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, offset, buffer.length - offset, position, (error, n) => (error ? reject(error) : resolve(n))));
}
