import { errorMessage, type FaultSink } from '../io/faults.js';
import { acquireLock, LOCK_FILE_NAME, type LockHandle, LockWriteFailed } from '../io/lockFile.js';
import type { Logger } from '../log.js';

/** Errors of a state dir that takes no writes for now (the daemon runs on and retries). */
const STATE_DIR_FULL = new Set(['ENOSPC', 'EROFS', 'EDQUOT']);

/**
 * One daemon per state dir. A state dir too full or read-only to hold the lock file is a
 * fault, not a reason to stay down: the daemon starts (it can serve, and writes nothing there
 * anyway) and takes the lock on a later poll once the dir takes writes again. Another daemon
 * holding it ends the start; one that took it meanwhile ends this daemon (`lost`): two
 * daemons must never write the same state dir.
 */
export class StateDirLock {
  private lock: LockHandle | null = null;
  /** Another daemon took the state dir while this one waited for the lock: write nothing there. */
  lost = false;

  constructor(
    private readonly stateDir: string,
    private readonly faults: FaultSink,
    private readonly log: Logger,
    private readonly onLost: () => void,
  ) {}

  /** At start-up: throws when another daemon holds it. */
  take(): void {
    this.attempt(true);
  }

  /** On every poll while it is not held. */
  retry(): void {
    if (this.lock === null && !this.lost) this.attempt(false);
  }

  release(): void {
    this.lock?.release();
    this.lock = null;
  }

  private attempt(startUp: boolean): void {
    try {
      this.lock = acquireLock(this.stateDir);
      if (!startUp) this.faults.clear(LOCK_FILE_NAME, 'write');
    } catch (error) {
      if (error instanceof LockWriteFailed && STATE_DIR_FULL.has(error.code)) {
        this.faults.raise(LOCK_FILE_NAME, 'write', error);
        return;
      }
      if (startUp) throw error;
      this.lost = true;
      this.faults.raise(LOCK_FILE_NAME, 'write', Object.assign(new Error(errorMessage(error)), { code: 'EHELD' }));
      this.log.error({ state_dir: this.stateDir, err: errorMessage(error) }, 'another daemon took the state dir: stopping without writing there');
      this.onLost();
    }
  }
}
