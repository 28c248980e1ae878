import fs from 'node:fs';
import path from 'node:path';
import { fileFault, openRegularFile } from './regularFile.js';

/** Where the hook writes its errors (src/intake/claudeCode/hookErrorLog.ts), and the one generation it keeps. */
export const HOOK_ERRORS_LOG = 'hook-errors.jsonl';
const GENERATIONS = [`${HOOK_ERRORS_LOG}.1`, HOOK_ERRORS_LOG] as const;
/** Read per file and look at most: the file is small (rotated at 256 KiB); a stray huge one is read over several looks. */
const MAX_READ_BYTES = 1 << 20;
/** Positions remembered: the two generations, and a couple more in case of rotations between looks. */
const KEPT_FILES = 4;

/** How far one file was read: its identity (inode and birth time, as it keeps across the rotation's rename) and the byte after its last complete line. */
export interface FollowedFile {
  readonly id: string;
  readonly offset: number;
}

/** The last hook error, as the snapshot and the dashboard show it. */
export interface LastHookError {
  readonly at: string | null;
  readonly event: string | null;
  readonly error: string;
}

/** health.hook_errors: how many lines the hooks wrote to hook-errors.jsonl, and the last one. */
export interface HookErrorsHealth {
  readonly count: number;
  readonly last: LastHookError | null;
}

/** What a checkpoint keeps, so a restart neither loses nor counts again. */
export interface HookErrorsSaved extends HookErrorsHealth {
  readonly files: readonly FollowedFile[];
}

/**
 * Follows `<stateDir>/hook-errors.jsonl` across its rotation to `.1`: each look returns the
 * complete lines appended since the last one, oldest file first. Files are known by identity,
 * not name, so the lines a file got between the last look and its rotation are read from `.1`
 * (where it now is), once. A file seen for the first time is read from its start. A look costs
 * two stats when nothing changed. Throws a FileFault (the caller makes it a fault) and then
 * keeps its positions, so the next look goes on from the same place.
 */
export class HookErrorFollower {
  private files = new Map<string, number>();

  constructor(private readonly stateDir: string) {}

  /** Go on from saved positions (a checkpoint); without them, every line present is new. */
  startAt(files: readonly FollowedFile[]): void {
    this.files = new Map(files.map((f) => [f.id, f.offset]));
  }

  position(): FollowedFile[] {
    return [...this.files].map(([id, offset]) => ({ id, offset }));
  }

  /** The complete lines appended since the last look (empty lines left out). */
  read(): string[] {
    const lines: string[] = [];
    const files = new Map(this.files);
    for (const name of GENERATIONS) {
      const file = path.join(this.stateDir, name);
      const look = this.look(file);
      if (look === null) continue;
      const known = files.get(look.id) ?? 0;
      // Shorter than where we were: cut by hand, or a new file that got a freed inode; read it whole.
      const from = known > look.size ? 0 : known;
      const got = from < look.size ? readLines(file, from) : { lines: [], offset: from, id: look.id };
      // Rotated between the stat and the open: this look counts nothing, the next one starts from the same positions.
      if (got.id !== look.id) return [];
      lines.push(...got.lines);
      files.delete(look.id);
      files.set(look.id, got.offset);
    }
    // A file not seen under either name is kept a while: it may be one rotated between our two
    // stats, about to be seen as .1. The oldest are dropped beyond a few.
    while (files.size > KEPT_FILES) files.delete(files.keys().next().value as string);
    this.files = files;
    return lines;
  }

  private look(file: string): { id: string; size: number } | null {
    try {
      const st = fs.statSync(file, { bigint: true });
      return { id: identity(st), size: Number(st.size) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileFault(file, 'stat', error);
    }
  }
}

function identity(st: fs.BigIntStats): string {
  return `${st.ino}@${st.birthtimeNs}`;
}

/** The complete lines of `file` from `from`, where they end, and the identity of the file read. */
function readLines(file: string, from: number): { lines: string[]; offset: number; id: string | null } {
  const opened = openRegularFile(file);
  if (opened === null) return { lines: [], offset: from, id: null };
  try {
    const id = identity(fs.fstatSync(opened.fd, { bigint: true }));
    const length = Math.min(opened.stat.size - from, MAX_READ_BYTES);
    if (length <= 0) return { lines: [], offset: from, id };
    const buf = Buffer.alloc(length);
    const n = fs.readSync(opened.fd, buf, 0, length, from);
    const end = buf.subarray(0, n).lastIndexOf(0x0a);
    if (end < 0) return { lines: [], offset: from, id };
    const lines = buf.subarray(0, end).toString('utf8').split('\n').filter((l) => l.trim() !== '');
    return { lines, offset: from + end + 1, id };
  } catch (error) {
    throw fileFault(file, 'read', error);
  } finally {
    fs.closeSync(opened.fd);
  }
}
