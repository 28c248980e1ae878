import { AnswerCache } from './answerCache.js';

/** More heavy computations are admitted than the bound allows: answered 429 with Retry-After. */
export class Overloaded extends Error {
  override readonly name = 'Overloaded';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many heavy requests at once; retry in ${retryAfterSeconds} s`);
  }
}

export interface HeavyLimits {
  /** Distinct computations admitted at once (running or waiting their turn). */
  readonly maxPending: number;
  /** Share of the event loop they may take (0-1]. */
  readonly maxShare: number;
  readonly cacheBytes: number;
  readonly cacheEntries: number;
}

/**
 * Answers that walk the whole state (the workflow views, the snapshot, /metrics), so a flood of
 * them cannot starve the rest of the process. Each is asked for by a key (the route and its
 * normalized parameters):
 * - an answer already computed for the current state version is served from the cache;
 * - an answer being computed (or waiting to be) is shared by every request for the same key;
 * - otherwise it is admitted if fewer than `maxPending` are, else refused with Overloaded.
 * Admitted computations run one at a time, each after a pause that keeps their share of the
 * event loop under `maxShare` (and at least one turn of it), so I/O runs in between.
 */
export class HeavyAnswers {
  private readonly cache: AnswerCache;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private nextStartAt = 0;
  /** A running average of one computation's time, for Retry-After. */
  private averageMs = 0;

  constructor(
    private readonly version: () => number,
    private readonly limits: HeavyLimits,
  ) {
    this.cache = new AnswerCache(limits.cacheBytes, limits.cacheEntries);
  }

  /**
   * The body for `key`. `cacheable`: the answer depends only on the state (not on the clock),
   * so it may be kept for the state version it was computed at.
   */
  answer(key: string, cacheable: boolean, compute: () => Buffer | Promise<Buffer>): Promise<Buffer> {
    if (cacheable) {
      const cached = this.cache.get(key, this.version());
      if (cached !== undefined) return Promise.resolve(cached);
    }
    const shared = this.inFlight.get(key);
    if (shared !== undefined) return shared;
    if (this.pending >= this.limits.maxPending) throw new Overloaded(this.retryAfterSeconds());
    this.pending++;
    const result = this.tail.then(() => this.turn()).then(() => this.run(key, cacheable, compute));
    this.tail = result.catch(() => undefined);
    this.inFlight.set(key, result);
    const settle = () => {
      this.pending--;
      this.inFlight.delete(key);
    };
    result.then(settle, settle);
    return result;
  }

  /**
   * An answer that reads what the fold keeps current (an unfiltered workflow view): cached per
   * version like the others, but computed at once, outside the queue, its pacing and its bound.
   * Waiting its turn behind the walks would cost it far more than computing it.
   */
  cheap(key: string, cacheable: boolean, compute: () => Buffer): Buffer {
    const version = this.version();
    const cached = cacheable ? this.cache.get(key, version) : undefined;
    if (cached !== undefined) return cached;
    const body = compute();
    if (cacheable) this.cache.set(key, version, body);
    return body;
  }

  private async run(key: string, cacheable: boolean, compute: () => Buffer | Promise<Buffer>): Promise<Buffer> {
    // The state is only changed between turns of the event loop, and a computation is synchronous
    // up to its first await: the version read here is the one the answer is of.
    const version = this.version();
    const cached = cacheable ? this.cache.get(key, version) : undefined;
    if (cached !== undefined) return cached;
    const began = performance.now();
    try {
      const body = await compute();
      if (cacheable) this.cache.set(key, version, body);
      return body;
    } finally {
      const took = performance.now() - began;
      this.averageMs = this.averageMs === 0 ? took : 0.8 * this.averageMs + 0.2 * took;
      this.nextStartAt = performance.now() + (took * (1 - this.limits.maxShare)) / this.limits.maxShare;
    }
  }

  /** Waits until the next computation may start: after the pause, and never in the same turn. */
  private turn(): Promise<void> {
    const wait = this.nextStartAt - performance.now();
    return new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
  }

  /** About how long until what is admitted now has run, in whole seconds (1-60). */
  private retryAfterSeconds(): number {
    const ms = (this.pending * this.averageMs) / this.limits.maxShare;
    return Math.min(60, Math.max(1, Math.ceil(ms / 1000)));
  }
}
