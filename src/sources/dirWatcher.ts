import fs from 'node:fs';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { FaultSink } from '../io/faults.js';

/**
 * chokidar on the telemetry dir, re-armed when it stops telling: a watcher follows the dir it
 * was given (its inode), so once the dir is removed and made again it never fires again and
 * new lines waited for the safety poll forever. `check()` (every CHECK_MS: one stat) compares
 * the dir's identity with the one watched and starts a new watcher when it changed, and after a
 * watcher error. The watcher only says "look again"; reads decide what changed.
 */
const CHECK_MS = 250;

export class DirWatcher {
  private watcher: FSWatcher | null = null;
  /** dev:ino of the dir when the watcher was started; null when it did not exist. */
  private watching: string | null = null;
  private broken = false;
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
   * than reading it. resume() arms it again, and its 'ready' says to look at every file.
   */
  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    const watcher = this.watcher;
    this.watcher = null;
    this.closeLater(watcher);
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.arm(identity(this.dir));
  }

  /** Re-arms the watcher if the dir was replaced (or the watcher failed) since it was started. */
  check(): void {
    if (this.closed || this.paused) return;
    const now = identity(this.dir);
    if (now !== this.watching || this.broken) this.arm(now);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close().catch(() => undefined);
    await this.closing;
  }

  private closeLater(watcher: FSWatcher | null): void {
    if (watcher === null) return;
    const closed = watcher.close().catch(() => undefined);
    this.closing = Promise.all([this.closing, closed]).then(() => undefined);
  }

  private arm(id: string | null): void {
    const old = this.watcher;
    this.watcher = null;
    this.closeLater(old);
    this.watching = id;
    this.broken = false;
    if (id === null) return; // no dir: the next check arms one when it is back
    const root = path.resolve(this.dir);
    const watcher = chokidar.watch(this.dir, {
      ignoreInitial: true,
      // The daemon's own timers keep it alive, not the watches: a watch chokidar makes while it
      // is being closed (a symlink followed during a pause) was left open and kept a stopped
      // daemon from exiting.
      persistent: false,
      depth: 0,
      ignored: (p: string) => path.resolve(p) !== root && !this.files.has(path.resolve(p)),
    });
    watcher.on('all', (_event, p) => {
      const key = this.files.get(path.resolve(p));
      if (key !== undefined) this.onChange(key);
    });
    watcher.on('error', (error) => {
      // Logged once by the fault registry; the poll keeps reading, and the next check re-arms.
      this.broken = true;
      this.faults.raise(path.basename(root), 'watch', error);
    });
    watcher.on('ready', () => {
      if (!this.broken) this.faults.clear(path.basename(root), 'watch');
      // What changed while nothing watched (the files of a dir made again) is looked at now.
      for (const key of new Set(this.files.values())) this.onChange(key);
    });
    this.watcher = watcher;
  }
}

function identity(dir: string): string | null {
  try {
    const stat = fs.statSync(dir);
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}` : null;
  } catch {
    return null;
  }
}
