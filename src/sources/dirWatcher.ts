import fs from 'node:fs';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { FaultSink } from '../io/faults.js';

/**
 * chokidar on the telemetry files themselves, re-armed when it stops telling. The files, not
 * the dir: on every event of a dir it watches (and an append to any file in it is one),
 * chokidar lists the dir again and lstats each entry, back to back while a writer appends:
 * ~300 listings and ~1,500 lstats a second at 1k appended lines/s, about a sixth of the
 * daemon's CPU. On a file it watches, an event costs one stat; it follows a symlink to its
 * target and a file replaced by a rename (a new inode).
 *
 * What a file watch cannot see, `check()` (every CHECK_MS) does: a file that did not exist is
 * added once it does (one stat per missing file), and a dir removed and made again (its
 * identity changed) or a failed watcher gets a new watcher. The watcher only says "look again";
 * reads decide what changed, and the safety poll reads whatever was missed.
 */
const CHECK_MS = 250;

/**
 * chokidar, imported when the first watcher starts: a daemon watches only once it follows, after
 * its first snapshot, which need not wait for chokidar's modules (~10-20 ms of a restart).
 * Until it is in, a starting watcher arms nothing; its 'ready' then signals every file, so what
 * was written meanwhile is read, as for anything written before a watch is on.
 */
let chokidar: typeof import('chokidar') | null = null;
let loading: Promise<typeof import('chokidar')> | null = null;

function loadChokidar(): Promise<typeof import('chokidar')> {
  loading ??= import('chokidar').then((loaded) => (chokidar = loaded));
  return loading;
}

export class DirWatcher {
  private watcher: FSWatcher | null = null;
  /** The dir's identity when the watcher was started; null when it did not exist. */
  private watching: string | null = null;
  /** The files chokidar watches now (added when they exist, dropped on its unlink). */
  private readonly watched = new Set<string>();
  /** Files with an event not yet passed on: at most one onChange per file per turn of the loop. */
  private readonly due = new Set<string>();
  private broken = false;
  /** Waiting for chokidar's import (see loadChokidar). */
  private loading = false;
  private closed = false;
  private paused = false;
  /** A watcher being closed (pause, re-arm): close() waits for it, or its handles outlive the daemon. */
  private closing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    /** Absolute paths of the files of interest. */
    private readonly files: ReadonlyMap<string, string>,
    private readonly onChange: (key: string) => void,
    private readonly faults: FaultSink,
  ) {}

  start(): void {
    this.arm(identity(this.dir));
    this.timer = setInterval(() => this.check(), CHECK_MS).unref();
  }

  /**
   * No watcher while the source reads a rewrite or rebuild by itself (it ignores change events
   * then): chokidar spent ~1 s of CPU on the ~23k events of python rewriting a 90 MB file, more
   * than reading it. resume() arms it again and says to look at every file.
   */
  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    this.disarm();
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.arm(identity(this.dir));
  }

  /** Re-arms the watcher if the dir was replaced (or the watcher failed) since it was started; adds the files that appeared. */
  check(): void {
    if (this.closed || this.paused) return;
    const now = identity(this.dir);
    if (now !== this.watching || this.broken) this.arm(now);
    else this.addAppeared();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.disarm();
    await this.closing;
  }

  private disarm(): void {
    const watcher = this.watcher;
    this.watcher = null;
    this.watched.clear();
    if (watcher === null) return;
    const closed = watcher.close().catch(() => undefined);
    this.closing = Promise.all([this.closing, closed]).then(() => undefined);
  }

  private arm(id: string | null): void {
    if (chokidar === null) {
      this.armWhenLoaded();
      return;
    }
    this.disarm();
    this.watching = id;
    this.broken = false;
    if (id === null) return; // no dir: the next check arms one when it is back
    const root = path.basename(path.resolve(this.dir));
    const watcher = chokidar.watch([], {
      ignoreInitial: true,
      // The daemon's own timers keep it alive, not the watches: a watch chokidar makes while it
      // is being closed (a symlink followed during a pause) was left open and kept a stopped
      // daemon from exiting.
      persistent: false,
    });
    // chokidar passes at most one change per file every 50 ms and drops the rest; its raw
    // events are every event of the watch, which the source merges to one read per turn.
    watcher.on('raw', (_event, _name, details) => {
      const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof watched === 'string') this.changed(path.resolve(watched));
    });
    watcher.on('all', (event, p) => {
      const file = path.resolve(p);
      // Gone: chokidar dropped its watch; check() adds the file again when it is back.
      if (event === 'unlink') this.watched.delete(file);
      this.changed(file);
    });
    watcher.on('error', (error) => {
      // Logged once by the fault registry; the poll keeps reading, and the next check re-arms.
      this.broken = true;
      this.faults.raise(root, 'watch', error);
    });
    watcher.on('ready', () => {
      if (!this.broken) this.faults.clear(root, 'watch');
      // What changed while nothing watched (the files of a dir made again) is looked at now
      // that the watches are on: a line written before 'ready' is read, one after it signalled.
      if (this.watcher === watcher) for (const file of this.files.keys()) this.changed(file);
    });
    this.watcher = watcher;
    this.addAppeared(false);
  }

  /** Imports chokidar, then arms (unless closed or paused by then); a failed import is a failed watcher (a fault; the safety poll keeps reading), the import tried again at the next check (a module whose evaluation threw stays failed in Node's cache). */
  private armWhenLoaded(): void {
    if (this.loading) return;
    this.loading = true;
    loadChokidar().then(
      () => {
        this.loading = false;
        if (!this.closed && !this.paused) this.arm(identity(this.dir));
      },
      (error: unknown) => {
        this.loading = false;
        loading = null;
        this.broken = true;
        this.faults.raise(path.basename(path.resolve(this.dir)), 'watch', error);
      },
    );
  }

  /**
   * Watches each file that exists and is not watched yet. Never a missing path: chokidar would
   * watch its dir for it, with a listing on every event there. A file that appears later is
   * read when added; a line written before its watch is on waits for the safety poll.
   */
  private addAppeared(signal = true): void {
    const watcher = this.watcher;
    if (watcher === null) return;
    for (const file of this.files.keys()) {
      if (this.watched.has(file) || !exists(file)) continue;
      this.watched.add(file);
      watcher.add(file);
      // Lines written before the watch started are read now, not at the next poll.
      if (signal) this.changed(file);
    }
  }

  private changed(file: string): void {
    const key = this.files.get(file);
    if (key === undefined || this.due.has(key)) return;
    this.due.add(key);
    setImmediate(() => {
      this.due.delete(key);
      if (!this.closed && !this.paused) this.onChange(key);
    });
  }
}

/** dev:ino and birth time: a dir removed and made again at once often gets the same inode back. */
function identity(dir: string): string | null {
  try {
    const stat = fs.statSync(dir);
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}:${stat.birthtimeMs}` : null;
  } catch {
    return null;
  }
}

/** A file there now (through a symlink, to what it leads to). */
function exists(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
