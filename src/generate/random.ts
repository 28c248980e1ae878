/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) so generated telemetry is the
 * same bytes for the same seed on every run and machine. Never Math.random.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** splitmix32: spreads a small or patterned seed over the whole state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareGaussian: number | null = null;

  /**
   * `seed` is any non-negative safe integer; `stream` picks one of several independent
   * sequences for the same seed. Different seeds or streams give unrelated sequences.
   */
  constructor(seed: number, stream = 0) {
    const high = Math.floor(seed / TWO_POW_32) | 0;
    const mix = { s: (seed >>> 0) ^ Math.imul(high, 0x27d4eb2f) ^ Math.imul(stream, 0x165667b1) };
    this.a = splitmix32(mix);
    this.b = splitmix32(mix);
    this.c = splitmix32(mix);
    this.d = splitmix32(mix);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next 32 random bits as an unsigned integer (xoshiro128**). */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution: enough for choices and offsets. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits of resolution: for microseconds across many days. */
  next53(): number {
    const high = this.uint32() >>> 5;
    const low = this.uint32() >>> 6;
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** Uniform real in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Index drawn by weight; `cumulative` holds running totals (last = total weight). */
  weightedIndex(cumulative: readonly number[]): number {
    const target = this.next() * (cumulative[cumulative.length - 1] ?? 0);
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? 0) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  gaussian(): number {
    if (this.spareGaussian !== null) {
      const spare = this.spareGaussian;
      this.spareGaussian = null;
      return spare;
    }
    const u = 1 - this.next(); // (0, 1]: log(0) is -Infinity
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareGaussian = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.gaussian());
  }

  /** A random version-4 UUID string ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"). */
  uuid(): string {
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return (
      hex8(a) +
      '-' +
      hex4(b >>> 16) +
      '-4' +
      hex4(b & 0xffff).slice(1) +
      '-' +
      hex4(((c >>> 16) & 0x3fff) | 0x8000) +
      '-' +
      hex4(c & 0xffff) +
      hex8(d)
    );
  }
}

/** Running totals of `weights`, for `Random.weightedIndex`. */
export function cumulativeWeights(weights: readonly number[]): number[] {
  const out: number[] = [];
  let total = 0;
  for (const w of weights) {
    total += w;
    out.push(total);
  }
  return out;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
