import { type Checkpoint, CHECKPOINT_FILE, saveCheckpoint, saveCheckpointSync } from '../io/checkpointStore.js';
import type { StateDirWrites } from './stateDirWrites.js';

/**
 * The durable checkpoint: written when the state changed since the last one (on the daemon's
 * interval), one write at a time, and once more at shutdown. A write that fails is a fault and
 * leaves the state marked changed, so the next interval writes it: nothing applied is lost.
 */
export class Checkpointer {
  private changed = false;
  private inFlight: Promise<void> | null = null;

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
  ) {}

  /** The state moved: the next interval writes a checkpoint. */
  markChanged(): void {
    this.changed = true;
  }

  /** On the interval: a checkpoint if anything changed since the last one. */
  tick(): void {
    if (this.changed || this.logsPending()) void this.save();
  }

  save(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    if (!this.vouched()) {
      this.changed = true;
      return Promise.resolve();
    }
    this.changed = false;
    const data = this.data();
    // Records still waiting are not in the sizes this checkpoint stores: write another once they land.
    if (this.logsPending()) this.changed = true;
    this.inFlight = saveCheckpoint(this.stateDir, data)
      .then(() => this.writes.succeeded(CHECKPOINT_FILE))
      .catch((error: unknown) => {
        this.changed = true;
        this.writes.failed(CHECKPOINT_FILE, error);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  /** Waits for a write in progress (at shutdown, before the last one). */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** The last checkpoint, blocking (shutdown): false when it could not be written. */
  saveFinal(): boolean {
    return this.writes.finalWrite(CHECKPOINT_FILE, () => saveCheckpointSync(this.stateDir, this.data()));
  }
}
