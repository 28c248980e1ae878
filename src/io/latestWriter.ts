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
