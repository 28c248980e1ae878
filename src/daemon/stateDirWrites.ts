import fs from 'node:fs';
import type { FaultSink } from '../io/faults.js';

/**
 * Writes into the state dir, as faults: a failure is raised (logged once, counted) and a
 * success clears it. A state dir removed under the daemon is made again for the next try.
 */
export class StateDirWrites {
  constructor(
    private readonly stateDir: string,
    private readonly faults: FaultSink,
  ) {}

  succeeded(file: string): void {
    this.faults.clear(file, 'write');
  }

  failed(file: string, error: unknown): void {
    this.faults.raise(file, 'write', error);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    try {
      fs.mkdirSync(this.stateDir, { recursive: true });
    } catch {
      // Still faulted: the next write tries again.
    }
  }

  /** A blocking write at shutdown: false (and a fault) when it failed; never throws. */
  finalWrite(file: string, write: () => void): boolean {
    try {
      write();
      this.succeeded(file);
      return true;
    } catch (error) {
      this.failed(file, error);
      return false;
    }
  }
}
