import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import type { RawLine } from '../pipeline/splitLines.js';
import type { SourceStatus } from '../queries/snapshot.js';
import { FileTail, type ResumeCheck, type TailPosition } from './fileTail.js';
import type { FaultSink } from './faults.js';
import type { WholeRead } from './wholeRead.js';

/** The one-shot commands' sink: a file that cannot be read ends the command with its reason. */
export const THROW_FAULTS: FaultSink = {
  raise: (_file, _op, error) => {
    throw error;
  },
  clear: () => undefined,
};

/** First retry of a faulted file after this long, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2000;

export type SourcePositions = Readonly<Record<SourceKind, TailPosition>>;

export const START_POSITIONS: SourcePositions = {
  invocations: { offset: 0, line: 1, fingerprint: null },
  metrics: { offset: 0, line: 1, fingerprint: null },
  workflow_events: { offset: 0, line: 1, fingerprint: null },
};

export type ReadOutcome = { readonly kind: 'ok'; readonly more: boolean } | { readonly kind: 'rewritten'; readonly file: SourceKind; readonly why: string };

/** The three files of a telemetry directory, each followed by a FileTail. */
export class SourceSet {
  private readonly tails: Record<SourceKind, FileTail>;
  private readonly sizes: Record<SourceKind, number> = { invocations: 0, metrics: 0, workflow_events: 0 };
  /** Files that failed their last read: the operation, and when to try again. */
  private readonly faulted = new Map<SourceKind, { op: string; retryAt: number; delayMs: number }>();

  constructor(
    readonly dir: string,
    maxLineBytes: number,
    start: SourcePositions = START_POSITIONS,
    resumeCheck: ResumeCheck = 'full',
    private readonly faults: FaultSink = THROW_FAULTS,
    private readonly clock: () => number = Date.now,
  ) {
    const tail = (kind: SourceKind) => new FileTail(kind, path.join(dir, SOURCE_FILES[kind]), maxLineBytes, start[kind], resumeCheck);
    this.tails = { invocations: tail('invocations'), metrics: tail('metrics'), workflow_events: tail('workflow_events') };
  }

  /** A tail that read the file again from its start (a rewrite applied as changes) takes the old one's place. */
  replaceTail(kind: SourceKind, tail: FileTail): void {
    this.tails[kind] = tail;
  }

  pathOf(kind: SourceKind): string {
    return this.tails[kind].path;
  }

  /** Reads one file's new complete lines (at most `budget` bytes). */
  read(kind: SourceKind, onLine: (kind: SourceKind, line: RawLine) => void, budget?: number): ReadOutcome {
    const fault = this.faulted.get(kind);
    if (fault !== undefined && this.clock() < fault.retryAt) return { kind: 'ok', more: false };
    const result = this.tails[kind].read((line) => onLine(kind, line), budget);
    if (result.kind === 'fault') {
      // Reported (the daemon logs it once and counts it), then retried with backoff; the lines
      // handed over before it stay applied, and the file is read on from there once it heals.
      const delayMs = fault === undefined ? RETRY_FIRST_MS : Math.min(RETRY_MAX_MS, fault.delayMs * 2);
      this.faulted.set(kind, { op: result.fault.op, retryAt: this.clock() + delayMs, delayMs });
      if (fault !== undefined && fault.op !== result.fault.op) this.faults.clear(SOURCE_FILES[kind], fault.op);
      this.faults.raise(SOURCE_FILES[kind], result.fault.op, result.fault);
      return { kind: 'ok', more: false };
    }
    if (fault !== undefined) {
      this.faulted.delete(kind);
      this.faults.clear(SOURCE_FILES[kind], fault.op);
    }
    if (result.kind === 'rewritten') return { kind: 'rewritten', file: kind, why: result.why };
    this.sizes[kind] = result.kind === 'ok' ? result.size : 0;
    return { kind: 'ok', more: result.kind === 'ok' && result.more === true };
  }

  /** Whether a file other than `except` is faulted now. */
  anyFaulted(except: ReadonlySet<SourceKind> = new Set()): boolean {
    for (const kind of this.faulted.keys()) if (!except.has(kind)) return true;
    return false;
  }

  /**
   * This set is replaced by `next` (a rebuild): the faults it raised are over, unless `next`
   * has them too (then they stay, and `next` clears them when they heal).
   */
  handOverFaults(next: SourceSet): void {
    for (const [kind, fault] of this.faulted) {
      if (next.faulted.get(kind)?.op !== fault.op) this.faults.clear(SOURCE_FILES[kind], fault.op);
    }
    this.faulted.clear();
  }


  /** Some file's bytes before a resumed checkpoint are still to be proven unchanged (a 'deferred' resume). */
  prefixesUnchecked(): boolean {
    return SOURCE_KINDS.some((kind) => this.tails[kind].prefixUnchecked);
  }

  /**
   * A step of that proof, about `budget` bytes hashed, for the first file still unproven: 'ok'
   * (more: whether any is left), or 'rewritten' for a file whose bytes differ. A fault waits for
   * the next step (the faulted file's reads report it).
   */
  checkPrefixes(budget: number): ReadOutcome | { readonly kind: 'fault' } {
    const kind = SOURCE_KINDS.find((k) => this.tails[k].prefixUnchecked);
    if (kind === undefined) return { kind: 'ok', more: false };
    const result = this.tails[kind].checkPrefix(budget);
    if (result.kind === 'rewritten') return { kind: 'rewritten', file: kind, why: result.why };
    if (result.kind === 'fault') return { kind: 'fault' };
    return { kind: 'ok', more: this.prefixesUnchecked() };
  }

  /**
   * Every file was read from its start elsewhere (the replay's decoding worker, see
   * wholeRead.ts; null: the file was missing): the tails, which have read nothing, go on from
   * where those reads ended, as after a readAll of their own.
   */
  adoptReads(reads: ReadonlyMap<SourceKind, WholeRead | null>): void {
    for (const kind of SOURCE_KINDS) {
      const read = reads.get(kind);
      if (read === undefined) throw new Error(`adoptReads: no read of ${SOURCE_FILES[kind]}`);
      // A missing file leaves its tail as it was: its own read would have found nothing either.
      if (read === null) continue;
      this.tails[kind].adoptRead(read);
      this.sizes[kind] = read.size;
    }
  }

  /** Reads every file to its end; stops at the first file that was rewritten. */
  readAll(onLine: (kind: SourceKind, line: RawLine) => void, budget?: number): ReadOutcome {
    let more = false;
    for (const kind of SOURCE_KINDS) {
      const outcome = this.read(kind, onLine, budget);
      if (outcome.kind === 'rewritten') return outcome;
      more ||= outcome.more;
    }
    return { kind: 'ok', more };
  }

  positions(): SourcePositions {
    return {
      invocations: this.tails.invocations.position(),
      metrics: this.tails.metrics.position(),
      workflow_events: this.tails.workflow_events.position(),
    };
  }

  /** Re-reads the files' sizes (a stat each), so the lag counts what was appended since the last read. */
  refreshSizes(): void {
    for (const kind of SOURCE_KINDS) {
      // A faulted file keeps the size of its last good read (stat on a FIFO does not block).
      if (this.faulted.has(kind)) continue;
      try {
        const stat = fs.statSync(this.tails[kind].path);
        this.sizes[kind] = stat.isFile() ? stat.size : 0;
      } catch {
        this.sizes[kind] = 0;
      }
    }
  }

  /** Bytes present in the files (as of the last read or refreshSizes) and not yet applied. */
  lagBytes(): number {
    let lag = 0;
    for (const kind of SOURCE_KINDS) lag += this.lagBytesOf(kind);
    return lag;
  }

  /** One file's share of lagBytes(). */
  lagBytesOf(kind: SourceKind): number {
    return Math.max(0, this.sizes[kind] - this.tails[kind].committedOffset);
  }

  statuses(): Record<SourceKind, SourceStatus> {
    const positions = this.positions();
    const status = (kind: SourceKind): SourceStatus => {
      const fp = positions[kind].fingerprint;
      return {
        file: SOURCE_FILES[kind],
        size: this.sizes[kind],
        offset: positions[kind].offset,
        fingerprint: fp === null ? null : createHash('sha1').update(`${fp.ino}:${fp.headHash}:${fp.tailHash}`).digest('hex').slice(0, 16),
      };
    };
    return { invocations: status('invocations'), metrics: status('metrics'), workflow_events: status('workflow_events') };
  }
}
