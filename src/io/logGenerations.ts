import fs from 'node:fs';
import { errorCode } from './faults.js';

/**
 * A capped log kept as generations: `file` is the current one, `file.1` the one before it, up
 * to `file.<keep>`. These helpers throw with the errno code; StateLog turns that into faults.
 */

/** Generation `n` of `file`: 0 is the file itself. */
export function generationPath(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`;
}

/**
 * What names a file across renames: its inode and birth time. The inode alone is not enough:
 * the generation a rotation deletes frees an inode number the next new file may get.
 * Null when there is no such file.
 */
export function fileIdentity(file: string): string | null {
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.ino}@${st.birthtimeNs}`;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Size of `file`, 0 when there is none. */
export function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

/** file -> file.1 -> ... -> file.<keep> (the oldest is deleted), then a new empty `file`. */
export function rotate(file: string, keep: number): void {
  removeIfPresent(generationPath(file, keep));
  for (let n = keep - 1; n >= 0; n--) renameIfPresent(generationPath(file, n), generationPath(file, n + 1));
  // Created now, so that the checkpoint taken next names this file (and not "no file").
  fs.closeSync(fs.openSync(file, 'a'));
}

/**
 * Back to where the log stood when the file identified by `id` (null: the current file) was
 * `size` bytes long: generations started since are deleted, that one becomes the current file
 * again and is cut to `size`. Returns false, changing nothing, when no generation has that
 * identity (rotated out since, or removed by hand). Safe to run again after a partial failure:
 * it finds the file where the last run left it.
 */
export function cutBack(file: string, keep: number, size: number, id: string | null): boolean {
  let found = 0;
  if (id !== null) {
    found = -1;
    for (let n = 0; n <= keep && found < 0; n++) if (fileIdentity(generationPath(file, n)) === id) found = n;
    if (found < 0) return false;
  }
  if (found > 0) {
    for (let n = 0; n < found; n++) removeIfPresent(generationPath(file, n));
    for (let n = found; n <= keep; n++) renameIfPresent(generationPath(file, n), generationPath(file, n - found));
  }
  if (sizeOf(file) > size) fs.truncateSync(file, size);
  return true;
}

/** Every generation emptied: the current file cut to 0, the older ones deleted. */
export function clearAll(file: string, keep: number): void {
  for (let n = keep; n >= 1; n--) removeIfPresent(generationPath(file, n));
  if (sizeOf(file) > 0) fs.truncateSync(file, 0);
}

function removeIfPresent(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}
