/**
 * Numbers (workflow refs) kept in one order in a growable Int32Array: insert and remove by
 * binary search and a shift, so a top-`limit` list is a prefix, never a sort of everything.
 * The order is given by `before`, which must be total (ties broken by a unique id) and read
 * only what is fixed while the ref is a member: a ref's key must be changed by remove, change,
 * add.
 */
export class RankedRefs {
  private data: Int32Array = new Int32Array(16);
  size = 0;

  constructor(private readonly before: (a: number, b: number) => number) {}

  /** The members in order, copied (a checkpoint). */
  toArray(): Int32Array {
    return this.data.slice(0, this.size);
  }

  /** Adopts members already in this order (a checkpoint's `toArray`), without a copy. */
  restore(members: Int32Array): void {
    this.data = members.length > 0 ? members : new Int32Array(16);
    this.size = members.length;
  }

  private lowerBound(ref: number): number {
    let lo = 0;
    let hi = this.size;
    const data = this.data;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(data[mid] as number, ref) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(ref: number): void {
    if (this.size === this.data.length) {
      const next = new Int32Array(Math.ceil(this.data.length * 1.5));
      next.set(this.data);
      this.data = next;
    }
    const at = this.lowerBound(ref);
    this.data.copyWithin(at + 1, at, this.size);
    this.data[at] = ref;
    this.size++;
  }

  remove(ref: number): void {
    const at = this.lowerBound(ref);
    if (at >= this.size || this.data[at] !== ref) throw new Error(`ranked refs: ${ref} is not a member`);
    this.data.copyWithin(at, at + 1, this.size);
    this.size--;
  }

  /** The first `limit` members in order. */
  first(limit: number): number[] {
    const n = Math.min(this.size, Math.max(0, limit));
    return Array.from(this.data.subarray(0, n));
  }

  /** The last `limit` members, in order. */
  last(limit: number): number[] {
    const n = Math.min(this.size, Math.max(0, limit));
    return Array.from(this.data.subarray(this.size - n, this.size));
  }

  /** How many leading members pass `keep` (which must hold for a prefix of the order and fail after it). */
  countWhile(keep: (ref: number) => boolean): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keep(this.data[mid] as number)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
