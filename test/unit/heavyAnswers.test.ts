import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../src/http/answerCache.js';
import { HeavyAnswers, Overloaded } from '../../src/http/heavyAnswers.js';

const LIMITS = { maxPending: 2, maxShare: 0.5, cacheBytes: 1024, cacheEntries: 8 };

describe('HeavyAnswers', () => {
  it('computes an answer once per state version and shares it between requests', async () => {
    let version = 1;
    let computed = 0;
    const heavy = new HeavyAnswers(() => version, LIMITS);
    const compute = () => Buffer.from(`answer ${++computed} at ${version}`);
    // asked three times at once, then once more at the same version: one computation
    const bodies = await Promise.all([heavy.answer('k', true, compute), heavy.answer('k', true, compute), heavy.answer('k', true, compute)]);
    expect(bodies.map(String)).toEqual(['answer 1 at 1', 'answer 1 at 1', 'answer 1 at 1']);
    expect(String(await heavy.answer('k', true, compute))).toBe('answer 1 at 1');
    // the state moves: computed again
    version = 2;
    expect(String(await heavy.answer('k', true, compute))).toBe('answer 2 at 2');
    // an answer of the moment is never kept
    expect(String(await heavy.answer('now', false, compute))).toBe('answer 3 at 2');
    expect(String(await heavy.answer('now', false, compute))).toBe('answer 4 at 2');
  });

  it('refuses distinct computations beyond the bound with a time to retry, and admits again once they ran', async () => {
    const heavy = new HeavyAnswers(() => 1, LIMITS);
    const first = heavy.answer('a', true, () => Buffer.from('a'));
    const second = heavy.answer('b', true, () => Buffer.from('b'));
    let refused: unknown;
    try {
      void heavy.answer('c', true, () => Buffer.from('c'));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(Overloaded);
    expect((refused as Overloaded).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // a request for an answer under way rides along: not refused
    expect(String(await heavy.answer('a', true, () => Buffer.from('never')))).toBe('a');
    expect([String(await first), String(await second)]).toEqual(['a', 'b']);
    expect(String(await heavy.answer('c', true, () => Buffer.from('c')))).toBe('c');
  });

  it('runs computations one at a time, each in its own turn of the event loop', async () => {
    const heavy = new HeavyAnswers(() => 1, { ...LIMITS, maxPending: 3 });
    const order: string[] = [];
    const compute = (name: string) => () => {
      order.push(name);
      // Whatever else is waiting (I/O, timers) gets a turn before the next computation.
      setImmediate(() => order.push(`turn after ${name}`));
      return Buffer.from(name);
    };
    await Promise.all([heavy.answer('a', true, compute('a')), heavy.answer('b', true, compute('b')), heavy.answer('c', true, compute('c'))]);
    expect(order.slice(0, 5)).toEqual(['a', 'turn after a', 'b', 'turn after b', 'c']);
  });

  it('a cheap answer is computed at once, past queued heavy ones and beyond the bound, and kept per version', async () => {
    let version = 1;
    const heavy = new HeavyAnswers(() => version, { ...LIMITS, maxPending: 1 });
    const order: string[] = [];
    const walk = heavy.answer('walk', true, () => (order.push('walk'), Buffer.from('walk')));
    // The queue is full (maxPending 1) and the walk has not run yet: the cheap read is answered now.
    let computed = 0;
    const read = () => (order.push('read'), Buffer.from(`read ${++computed}`));
    expect(String(heavy.cheap('read', true, read))).toBe('read 1');
    expect(order).toEqual(['read']);
    expect(String(heavy.cheap('read', true, read))).toBe('read 1');
    version = 2;
    expect(String(heavy.cheap('read', true, read))).toBe('read 2');
    await walk;
    expect(order).toEqual(['read', 'read', 'walk']);
  });

  it('a failed computation fails its requests and frees its place', async () => {
    const heavy = new HeavyAnswers(() => 1, { ...LIMITS, maxPending: 1 });
    await expect(heavy.answer('x', true, () => { throw new Error('bad parameter'); })).rejects.toThrow('bad parameter');
    expect(String(await heavy.answer('x', true, () => Buffer.from('ok')))).toBe('ok');
  });
});

describe('AnswerCache', () => {
  it('keeps the newest version only, within its byte and entry bounds, least recently used out first', () => {
    const cache = new AnswerCache(10, 3);
    cache.set('a', 1, Buffer.from('aaaa'));
    cache.set('b', 1, Buffer.from('bbbb'));
    expect(cache.get('a', 1)?.toString()).toBe('aaaa'); // a is now the most recent
    cache.set('c', 1, Buffer.from('cc')); // 10 bytes: fits
    cache.set('d', 1, Buffer.from('d')); // over 10 bytes and 3 entries: b goes
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.size).toEqual({ entries: 3, bytes: 7 });
    expect(cache.get('a', 2)).toBeUndefined();
    cache.set('e', 2, Buffer.from('e')); // a new version: the old answers go
    expect(cache.size).toEqual({ entries: 1, bytes: 1 });
    cache.set('huge', 2, Buffer.alloc(11)); // larger than the whole budget: not kept
    expect(cache.get('huge', 2)).toBeUndefined();
  });
});
