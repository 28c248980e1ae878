/**
 * Counts per key, remembering the smallest sequence number (first-seen position) of the
 * contributions still present. Why: the reference breaks ties by first appearance, and a
 * replaced invocation may take its contribution away from a key.
 *
 * Removing the contribution that holds the minimum leaves the key "stale": its true minimum
 * is then known only to be >= the removed one. Re-adding at or below that bound (the common
 * case: a replaced record keeps its position) makes it exact again; otherwise `refresh`
 * rescans the contributors before the order is read.
 */
interface Entry {
  count: number;
  minSeq: number;
  stale: boolean;
}

export class FirstSeenCounts<K> {
  private readonly entries = new Map<K, Entry>();
  private staleCount = 0;

  add(key: K, seq: number, by = 1): void {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, { count: by, minSeq: seq, stale: false });
      return;
    }
    entry.count += by;
    if (entry.stale) {
      if (seq <= entry.minSeq) {
        entry.minSeq = seq;
        entry.stale = false;
        this.staleCount--;
      }
    } else if (seq < entry.minSeq) {
      entry.minSeq = seq;
    }
  }

  remove(key: K, seq: number, by = 1): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    entry.count -= by;
    if (entry.count <= 0) {
      if (entry.stale) this.staleCount--;
      this.entries.delete(key);
      return;
    }
    if (!entry.stale && seq === entry.minSeq) {
      entry.stale = true;
      this.staleCount++;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  count(key: K): number {
    return this.entries.get(key)?.count ?? 0;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  get needsRefresh(): boolean {
    return this.staleCount > 0;
  }

  /** Recomputes stale minimums from every contribution still present. */
  refresh(forEachContribution: (visit: (key: K, seq: number) => void) => void): void {
    if (this.staleCount === 0) return;
    for (const entry of this.entries.values()) if (entry.stale) entry.minSeq = Infinity;
    forEachContribution((key, seq) => {
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.stale && seq < entry.minSeq) entry.minSeq = seq;
    });
    for (const entry of this.entries.values()) entry.stale = false;
    this.staleCount = 0;
  }

  firstSeen(key: K): number {
    return this.entries.get(key)?.minSeq ?? Infinity;
  }

  /** Keys in first-seen order. Call `refresh` first when `needsRefresh`. */
  keysInFirstSeenOrder(): K[] {
    return [...this.entries.entries()].sort((a, b) => a[1].minSeq - b[1].minSeq).map(([key]) => key);
  }

  /** The `limit` most frequent keys, by count descending, ties in first-seen order. */
  mostCommon(limit = Infinity): Array<{ key: K; count: number }> {
    return [...this.entries.entries()]
      .sort((a, b) => b[1].count - a[1].count || a[1].minSeq - b[1].minSeq)
      .slice(0, limit)
      .map(([key, entry]) => ({ key, count: entry.count }));
  }

  /** Puts the prototype back on a FirstSeenCounts that went through v8 serialization. */
  static revive<K>(value: FirstSeenCounts<K>): FirstSeenCounts<K> {
    return Object.setPrototypeOf(value, FirstSeenCounts.prototype) as FirstSeenCounts<K>;
  }

  entriesRaw(): IterableIterator<[K, Readonly<Entry>]> {
    return this.entries.entries();
  }
}
