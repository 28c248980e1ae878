/**
 * Answer bodies for one state version: every request for the same question at the same version
 * gets the same bytes, computed once. Only the newest version is kept (an older one can never
 * be asked for again), bounded by total bytes and by count, least recently used out first.
 */
export class AnswerCache {
  private version = Number.NaN;
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, version: number): Buffer | undefined {
    if (version !== this.version) return undefined;
    const body = this.entries.get(key);
    if (body !== undefined) {
      // Map keeps insertion order: moving a hit to the end makes the first entry the least recent.
      this.entries.delete(key);
      this.entries.set(key, body);
    }
    return body;
  }

  set(key: string, version: number, body: Buffer): void {
    if (version !== this.version) {
      this.entries.clear();
      this.bytes = 0;
      this.version = version;
    }
    this.delete(key);
    if (body.length > this.maxBytes) return;
    while (this.entries.size > 0 && (this.bytes + body.length > this.maxBytes || this.entries.size >= this.maxEntries)) {
      this.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, body);
    this.bytes += body.length;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private delete(key: string): void {
    const body = this.entries.get(key);
    if (body === undefined) return;
    this.entries.delete(key);
    this.bytes -= body.length;
  }
}
