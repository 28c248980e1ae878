import fs from 'node:fs';
import { errorCode, errorMessage } from './faults.js';

/**
 * A file operation that failed, with what a person needs to act on it: the path, the
 * operation, the errno code (or ENOTREG: the path is not a regular file) and a readable reason.
 */
export class FileFault extends Error {
  constructor(
    readonly path: string,
    readonly op: string,
    readonly code: string,
    reason: string,
  ) {
    super(`cannot ${op} ${path}: ${reason} (${code})`);
    this.name = 'FileFault';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  EISDIR: 'it is a directory',
  ELOOP: 'too many levels of symbolic links',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this machine',
  EIO: 'input/output error',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EDQUOT: 'disk quota exceeded',
  ENXIO: 'no such device',
};

/** A FileFault for an error thrown by an fs call on `path`. */
export function fileFault(path: string, op: string, error: unknown): FileFault {
  if (error instanceof FileFault) return error;
  const code = errorCode(error);
  return new FileFault(path, op, code, REASONS[code] ?? errorMessage(error));
}

function describeKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'it is a directory';
  if (stat.isFIFO()) return 'it is a FIFO (named pipe), not a regular file';
  if (stat.isSocket()) return 'it is a socket, not a regular file';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'it is a device, not a regular file';
  return 'it is not a regular file';
}

function notRegular(path: string, stat: fs.Stats): FileFault {
  return new FileFault(path, 'open', stat.isDirectory() ? 'EISDIR' : 'ENOTREG', describeKind(stat));
}

/**
 * Opens a file for reading only if it is a regular file (following symlinks). Never blocks:
 * a FIFO put in place of a telemetry file would hold `open` until a writer comes (and the
 * event loop with it), so the path is looked at first, opened with O_NONBLOCK in case it is
 * swapped in between, and looked at again through the descriptor.
 * Returns null when the path does not exist; throws a FileFault for anything else.
 */
export function openRegularFile(path: string): { readonly fd: number; readonly stat: fs.Stats } | null {
  let before: fs.Stats;
  try {
    before = fs.statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileFault(path, 'stat', error);
  }
  if (!before.isFile()) throw notRegular(path, before);
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileFault(path, 'open', error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegular(path, stat);
    return { fd, stat };
  } catch (error) {
    fs.closeSync(fd);
    throw fileFault(path, 'stat', error);
  }
}

/** The whole content of a regular file (never a FIFO or a directory); null when it does not exist. */
export function readRegularFile(path: string): Buffer | null {
  const opened = openRegularFile(path);
  if (opened === null) return null;
  try {
    return fs.readFileSync(opened.fd);
  } catch (error) {
    throw fileFault(path, 'read', error);
  } finally {
    fs.closeSync(opened.fd);
  }
}
