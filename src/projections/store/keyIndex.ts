/**
 * Dense numbers for string keys (invocation ids, session ids), first seen first. Canonical
 * lower-case UUIDs, the usual form of these ids, are packed into four 32-bit words in an
 * open-addressing table (~24 bytes a key instead of ~100 for a string in a Map); any other
 * key goes to a Map. Exact either way: a packed UUID and its string are one-to-one.
 */

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = 10 + i;

/** Packs a canonical lower-case UUID into `out`; false for any other string. */
function packUuid(key: string, out: Uint32Array): boolean {
  if (key.length !== 36) return false;
  let word = 0;
  let digits = 0;
  let at = 0;
  for (let i = 0; i < 36; i++) {
    const code = key.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false;
      continue;
    }
    const value = code < 128 ? (HEX[code] as number) : -1;
    if (value < 0) return false;
    word = ((word << 4) | value) >>> 0;
    if (++digits === 8) {
      out[at++] = word;
      word = 0;
      digits = 0;
    }
  }
  return true;
}

function hex8(word: number): string {
  return word.toString(16).padStart(8, '0');
}

function unpackUuid(w0: number, w1: number, w2: number, w3: number): string {
  const a = hex8(w0);
  const b = hex8(w1);
  const c = hex8(w2);
  const d = hex8(w3);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

function slotOf(w0: number, w1: number, w2: number, w3: number, mask: number): number {
  let h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b), 0x9e3779b1);
  h ^= Math.imul(w2 ^ (w3 >>> 7) ^ (w3 << 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h & mask;
}

/** Whether `keys` packed keys may share `capacity` slots. */
function fits(keys: number, capacity: number): boolean {
  return keys * 3 <= capacity * 2;
}

export interface KeyIndexData {
  readonly size: number;
  /** Four words per key; all zero for a key kept in `others`. */
  readonly words: Uint32Array;
  /** Keys that are not canonical UUIDs, as [ref, key]. */
  readonly others: ReadonlyArray<readonly [number, string]>;
  /** The hash table as it was (rebuilding it costs more than storing it). */
  readonly slots: Int32Array;
  readonly packedCount: number;
}

export class KeyIndex {
  private words: Uint32Array = new Uint32Array(64);
  /**
   * ref + 1 per slot, 0 when empty; at most two thirds full (at half, the table was ~12 bytes
   * a key at 100k workflows; linear probing stays short at 2/3 with this hash).
   */
  private slots: Int32Array = new Int32Array(64);
  private packedCount = 0;
  private readonly others = new Map<string, number>();
  private readonly otherKeys = new Map<number, string>();
  private readonly scratch = new Uint32Array(4);
  size = 0;

  /** The key's number, or -1 when it has none yet. */
  find(key: string): number {
    const w = this.scratch;
    if (!packUuid(key, w)) return this.others.get(key) ?? -1;
    return this.findPacked(w[0] as number, w[1] as number, w[2] as number, w[3] as number);
  }

  /** The key's number, giving it the next one when it is new. */
  ref(key: string): number {
    const w = this.scratch;
    if (!packUuid(key, w)) {
      const known = this.others.get(key);
      if (known !== undefined) return known;
      const ref = this.size++;
      this.others.set(key, ref);
      this.otherKeys.set(ref, key);
      this.storeWords(ref, 0, 0, 0, 0);
      return ref;
    }
    const w0 = w[0] as number;
    const w1 = w[1] as number;
    const w2 = w[2] as number;
    const w3 = w[3] as number;
    const known = this.findPacked(w0, w1, w2, w3);
    if (known >= 0) return known;
    const ref = this.size++;
    this.storeWords(ref, w0, w1, w2, w3);
    this.insertSlot(ref, w0, w1, w2, w3);
    return ref;
  }

  keyAt(ref: number): string {
    const other = this.otherKeys.get(ref);
    if (other !== undefined) return other;
    const w = this.words;
    const at = ref * 4;
    return unpackUuid(w[at] as number, w[at + 1] as number, w[at + 2] as number, w[at + 3] as number);
  }

  toData(): KeyIndexData {
    return {
      size: this.size,
      words: this.words.slice(0, this.size * 4),
      others: [...this.otherKeys],
      slots: this.slots.slice(),
      packedCount: this.packedCount,
    };
  }

  static fromData(data: KeyIndexData): KeyIndex {
    const index = new KeyIndex();
    if (data.words.length >= 64) index.words = data.words;
    else index.words.set(data.words);
    index.size = data.size;
    for (const [ref, key] of data.others) {
      index.others.set(key, ref);
      index.otherKeys.set(ref, key);
    }
    const capacity = data.slots.length;
    if (capacity < 64 || (capacity & (capacity - 1)) !== 0 || !fits(data.packedCount, capacity) || data.words.length !== data.size * 4) {
      throw new Error('key index: inconsistent hash table');
    }
    index.slots = data.slots;
    index.packedCount = data.packedCount;
    return index;
  }

  private findPacked(w0: number, w1: number, w2: number, w3: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const w = this.words;
    for (let slot = slotOf(w0, w1, w2, w3, mask); ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) return -1;
      const at = (entry - 1) * 4;
      if (w[at] === w0 && w[at + 1] === w1 && w[at + 2] === w2 && w[at + 3] === w3) return entry - 1;
    }
  }

  private storeWords(ref: number, w0: number, w1: number, w2: number, w3: number): void {
    const at = ref * 4;
    if (at + 4 > this.words.length) {
      const next = new Uint32Array(Math.ceil((this.words.length * 1.25) / 4) * 4 + 64);
      next.set(this.words);
      this.words = next;
    }
    const w = this.words;
    w[at] = w0;
    w[at + 1] = w1;
    w[at + 2] = w2;
    w[at + 3] = w3;
  }

  private insertSlot(ref: number, w0: number, w1: number, w2: number, w3: number): void {
    if (!fits(this.packedCount + 1, this.slots.length)) this.rehash();
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = slotOf(w0, w1, w2, w3, mask);
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = ref + 1;
    this.packedCount++;
  }

  private rehash(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length - 1;
    const w = this.words;
    for (const entry of old) {
      if (entry === 0) continue;
      const at = (entry - 1) * 4;
      let slot = slotOf(w[at] as number, w[at + 1] as number, w[at + 2] as number, w[at + 3] as number, mask);
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}
