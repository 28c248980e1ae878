import { type Checkpoint, CHECKPOINT_FILE, encodeCheckpointInSteps, saveCheckpoint, saveCheckpointSync, writeCheckpointParts } from '../io/checkpointStore.js';
import type { StateDirWrites } from './stateDirWrites.js';

/**
 * When a due checkpoint is written. While one is encoded (~0.2 s at 100k workflows, in steps
 * when the source can hold its reads) every line appended meanwhile waits: so it waits for a quiet moment
 * (nothing applied for `quietMs`), and under steady load goes ahead after `maxDelayMs` anyway
 * (what a crash can cost is re-reading that much of the files, never losing it).
 */
export interface CheckpointTiming {
  readonly quietMs: number;
  readonly maxDelayMs: number;
  /** Milliseconds, monotonic. */
  readonly clock: () => number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** 200 ms without an applied change; at most 12 checkpoint intervals late (60 s by default). */
export function checkpointTiming(intervalMs: number): CheckpointTiming {
  return { quietMs: 200, maxDelayMs: Math.max(intervalMs, 12 * intervalMs), clock: () => performance.now() };
}

/**
 * The durable checkpoint: written when the state changed since the last one (on the daemon's
 * interval, at a quiet moment: see CheckpointTiming), one write at a time, and once more at
 * shutdown. A write that fails is a fault and leaves the state marked changed, so the next
 * interval writes it: nothing applied is lost.
 */
export class Checkpointer {
  private changed = false;
  private inFlight: Promise<void> | null = null;
  /** When the state last changed, and when the first change not yet checkpointed came. */
  private lastChangeAt = 0;
  private dueSince: number | null = null;
  /** A due checkpoint waiting for a quiet moment: looked at again after quietMs. */
  private recheck: NodeJS.Timeout | null = null;

  constructor(
    private readonly stateDir: string,
    private readonly data: () => Checkpoint,
    private readonly writes: StateDirWrites,
    /** State logs hold records not yet written: a checkpoint after they land must follow. */
    private readonly logsPending: () => boolean = () => false,
    /**
     * Whether the source's positions vouch for the files now (a resume's check of them runs
     * after serving starts): until then no checkpoint is written, the state stays marked changed.
     */
    private readonly vouched: () => boolean = () => true,
    private readonly timing: CheckpointTiming = checkpointTiming(5000),
    /**
     * Keeps the state and the positions still (the source's reads wait) until the returned
     * release is called, so the checkpoint is encoded in steps across turns of the event loop
     * (the API answers between them); null when they cannot be held: encoded at once.
     */
    private readonly hold: () => (() => void) | null = () => null,
  ) {}

  /** The state moved: the next interval (or quiet moment after it) writes a checkpoint. */
  markChanged(): void {
    this.changed = true;
    this.lastChangeAt = this.timing.clock();
    this.dueSince ??= this.lastChangeAt;
  }

  /**
   * On the interval: a checkpoint if anything changed since the last one, once it is quiet or
   * overdue. `allowed` is asked again at each later look (no checkpoint during a rebuild).
   */
  tick(allowed: () => boolean = () => true): void {
    if (!allowed() || !(this.changed || this.logsPending())) return;
    const now = this.timing.clock();
    const quiet = now - this.lastChangeAt >= this.timing.quietMs;
    const overdue = this.dueSince !== null && now - this.dueSince >= this.timing.maxDelayMs;
    if (quiet || overdue) {
      void this.save();
      return;
    }
    if (this.recheck !== null) return;
    this.recheck = setTimeout(() => {
      this.recheck = null;
      this.tick(allowed);
    }, this.timing.quietMs);
    this.recheck.unref();
  }

  save(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    this.cancelRecheck();
    if (!this.vouched()) {
      this.changed = true;
      return Promise.resolve();
    }
    this.changed = false;
    this.dueSince = null;
    const release = this.hold();
    let data: Checkpoint;
    try {
      data = this.data();
    } catch (error) {
      release?.();
      throw error;
    }
    // Records still waiting are not in the sizes this checkpoint stores: write another once they land.
    if (this.logsPending()) this.markChanged();
    this.inFlight = (release === null ? saveCheckpoint(this.stateDir, data) : this.saveInSteps(data, release))
      .then(() => this.writes.succeeded(CHECKPOINT_FILE))
      .catch((error: unknown) => {
        this.changed = true;
        this.dueSince ??= this.timing.clock();
        this.writes.failed(CHECKPOINT_FILE, error);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Encoded in steps while held, then written (the state may move on meanwhile: the bytes are made). */
  private async saveInSteps(data: Checkpoint, release: () => void): Promise<void> {
    let parts: Buffer[];
    try {
      parts = await encodeCheckpointInSteps(data, nextTurn);
    } finally {
      release();
    }
    await writeCheckpointParts(this.stateDir, parts);
  }

  /** Waits for a write in progress (at shutdown, before the last one). */
  async settled(): Promise<void> {
    this.cancelRecheck();
    await this.inFlight;
  }

  /** The last checkpoint, blocking (shutdown): false when it could not be written. */
  saveFinal(): boolean {
    this.cancelRecheck();
    return this.writes.finalWrite(CHECKPOINT_FILE, () => saveCheckpointSync(this.stateDir, this.data()));
  }

  private cancelRecheck(): void {
    if (this.recheck !== null) clearTimeout(this.recheck);
    this.recheck = null;
  }
}
