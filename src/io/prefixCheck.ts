import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';

const HASH_CHUNK = 1024 * 1024;
let hashBuffer: Buffer | undefined;

/** Feeds bytes [from, to) of the file into `into` (a hash); false if the file ends before `to`. */
export function hashRange(fd: number, from: number, to: number, into: { update(bytes: Buffer): unknown }): boolean {
  // One reused buffer: a fresh zero-filled one per piece cost more than the hashing.
  hashBuffer ??= Buffer.allocUnsafe(HASH_CHUNK);
  for (let at = from; at < to; ) {
    const n = fs.readSync(fd, hashBuffer, 0, Math.min(HASH_CHUNK, to - at), at);
    if (n === 0) return false;
    into.update(hashBuffer.subarray(0, n));
    at += n;
  }
  return true;
}

export type PrefixStep = { readonly kind: 'more' } | { readonly kind: 'done'; readonly prefix: Hash } | { readonly kind: 'changed'; readonly why: string };

/**
 * A resume's proof that the bytes before the checkpoint's offset are still the ones its state
 * was built from, made in steps after the daemon serves (a 'deferred' resume) instead of before:
 * the file is hashed from its start and compared with the checkpoint's sha1 at its prefix length.
 * Meanwhile the tail reads on from the offset; the bytes it reads are hashed as read (`read`) and
 * hashed again from the file when the proof gets there, so the running hash it hands over is
 * that of bytes [0, readOffset) both as read and as in the file (a change to them in between is
 * caught too). Then the tail goes on as if it had hashed everything as it read it.
 */
export class PrefixCheck {
  /** sha1 of the file's bytes [0, at). */
  private readonly whole = createHash('sha1');
  /** sha1 of the file's bytes [offset, at), once past the offset. */
  private readonly again = createHash('sha1');
  /** sha1 of the bytes the tail read from the offset on, as it read them. */
  readonly read = createHash('sha1');
  private at = 0;
  private checkpointCompared = false;

  constructor(
    private readonly offset: number,
    private readonly prefixLength: number,
    private readonly expected: string,
  ) {}

  /** Bytes hashed so far (for progress). */
  get hashed(): number {
    return this.at;
  }

  /** Hashes up to about `budget` bytes more of the file; the tail has read up to `readOffset`. */
  step(fd: number, readOffset: number, budget: number): PrefixStep {
    let left = budget;
    if (this.at < this.offset) {
      const to = Math.min(this.offset, this.at + left);
      if (!hashRange(fd, this.at, to, this.whole)) return { kind: 'changed', why: 'file shrank' };
      left -= to - this.at;
      this.at = to;
      if (this.at < this.offset) return { kind: 'more' };
    }
    if (!this.checkpointCompared) {
      // The checkpoint's hash may cover a partial last line past the offset.
      const upTo = this.whole.copy();
      if (!hashRange(fd, this.offset, this.prefixLength, upTo)) return { kind: 'changed', why: 'file shrank' };
      if (upTo.digest('hex') !== this.expected) return { kind: 'changed', why: 'bytes read before the checkpoint changed' };
      this.checkpointCompared = true;
    }
    if (this.at < readOffset) {
      if (left <= 0) return { kind: 'more' };
      const to = Math.min(readOffset, this.at + left);
      const both = {
        update: (bytes: Buffer) => {
          this.whole.update(bytes);
          this.again.update(bytes);
        },
      };
      if (!hashRange(fd, this.at, to, both)) return { kind: 'changed', why: 'file shrank' };
      this.at = to;
      if (this.at < readOffset) return { kind: 'more' };
    }
    if (this.again.copy().digest('hex') !== this.read.copy().digest('hex')) return { kind: 'changed', why: 'bytes read since the checkpoint changed' };
    return { kind: 'done', prefix: this.whole };
  }
}
