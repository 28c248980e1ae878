import fs from 'node:fs';
import path from 'node:path';
import type { FaultSink } from '../io/faults.js';

/**
 * fs.watch on the telemetry dir, re-armed when it stops telling: a watch follows the dir it was
 * given (its inode), so once the dir is removed and made again it never fires again and new
 * lines waited for the safety poll forever. `check()` (every CHECK_MS: one stat, and one per
 * symlinked file) compares the dir's identity with the one watched and starts a new watch when
 * it changed, and after a watch error. The watch only says "look again"; reads decide what changed.
 *
 * Not chokidar: on every event of a dir it watches, chokidar lists the dir again and lstats each
 * entry, and while a writer appends it starts the next listing as soon as one ends: ~300
 * listings and ~1,500 lstats a second at 1k appended lines/s, about a sixth of the daemon's CPU
 * and a steady stream of callbacks in front of each batch. The dir's own watch names the file
 * that changed; only a file that is a symlink needs a watch of its own (on its target, which an
 * append to does not touch the dir).
 */
const CHECK_MS = 250;

export class DirWatcher {
  private watcher: fs.FSWatcher | null = null;
  /** The dir's identity when the watch was started; null when it did not exist. */
  private watching: string | null = null;
  /** Symlinked files' own watches, by path, with the target's dev:ino they follow. */
  private readonly targets = new Map<string, { readonly id: string; readonly watcher: fs.FSWatcher }>();
  /** Files with an event not yet passed on: at most one onChange per file per turn of the loop. */
  private readonly due = new Set<string>();
  private broken = false;
  private closed = false;
  private paused = false;
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
   * No watch while the source reads a rewrite or rebuild by itself (it ignores change events
   * then): every write of python rewriting a 90 MB file is an event. resume() arms it again and
   * says to look at every file.
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

  /** Re-arms the watch if the dir was replaced (or the watch failed) since it was started; follows symlinked files' targets. */
  check(): void {
    if (this.closed || this.paused) return;
    const now = identity(this.dir);
    if (now !== this.watching || this.broken) this.arm(now);
    else this.followTargets();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.disarm();
    return Promise.resolve();
  }

  private disarm(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const target of this.targets.values()) target.watcher.close();
    this.targets.clear();
  }

  private arm(id: string | null): void {
    this.disarm();
    this.watching = id;
    this.broken = false;
    if (id === null) return; // no dir: the next check arms one when it is back
    const root = path.basename(path.resolve(this.dir));
    let watcher: fs.FSWatcher;
    try {
      // The daemon's own timers keep it alive, not the watch.
      watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null) this.changedAll();
        else this.changed(path.resolve(this.dir, name.toString()));
      });
    } catch (error) {
      this.failed(root, error);
      return;
    }
    watcher.on('error', (error) => {
      this.failed(root, error);
      watcher.close();
      if (this.watcher === watcher) this.watcher = null;
    });
    this.watcher = watcher;
    this.faults.clear(root, 'watch');
    this.followTargets();
    // What changed while nothing watched (the files of a dir made again) is looked at now.
    this.changedAll();
  }

  /** Logged once by the fault registry; the poll keeps reading, and the next check re-arms. */
  private failed(root: string, error: unknown): void {
    this.broken = true;
    this.faults.raise(root, 'watch', error);
  }

  /** A watch for each file that is a symlink, on what it points to now (none for a loop or a dangling link: the reads report those). */
  private followTargets(): void {
    for (const file of this.files.keys()) {
      const id = symlinkTarget(file);
      const held = this.targets.get(file);
      if (held !== undefined && held.id === id) continue;
      held?.watcher.close();
      this.targets.delete(file);
      if (id === null) continue;
      try {
        const watcher = fs.watch(file, { persistent: false }, () => this.changed(file));
        watcher.on('error', () => {
          watcher.close();
          if (this.targets.get(file)?.watcher === watcher) this.targets.delete(file);
        });
        this.targets.set(file, { id, watcher });
      } catch {
        // Gone or unreadable since the stat: the next check tries again.
      }
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

  private changedAll(): void {
    for (const file of this.files.keys()) this.changed(file);
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

/** dev:ino of the file a symlink leads to; null for a path that is not a symlink or leads nowhere. */
function symlinkTarget(file: string): string | null {
  try {
    if (!fs.lstatSync(file).isSymbolicLink()) return null;
    const stat = fs.statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return null;
  }
}
