/**
 * Runs an async write, at most one at a time; requests made while one runs collapse into a
 * single follow-up with the latest content. Snapshots are rewritten often, and only the newest
 * one matters.
 */
export class LatestWriter {
  private running: Promise<void> | null = null;
  private pending = false;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** Awaited before each write (see afterReadyIo); by default none. */
    private readonly before: () => Promise<void> = () => Promise.resolve(),
  ) {}

  request(): void {
    if (this.running !== null) {
      this.pending = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves when every requested write has finished. */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        await this.before();
        this.pending = false;
        try {
          await this.write();
        } catch (error) {
          this.onError(error);
        }
      } while (this.pending);
    } finally {
      this.running = null;
    }
  }
}

/**
 * Resolves once the I/O that is ready now has been handled: two turns of setImmediate, because
 * a callback of the poll phase (a watcher event that applied lines) is followed by the check
 * phase before the loop polls again, so one turn would still run ahead of an HTTP request that
 * arrived meanwhile.
 */
export function afterReadyIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
