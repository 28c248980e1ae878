import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import type { RawLine } from '../pipeline/splitLines.js';
import type { SourceStatus } from '../queries/snapshot.js';
import { FileTail, type ResumeCheck, type TailPosition } from './fileTail.js';

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

  constructor(
    readonly dir: string,
    maxLineBytes: number,
    start: SourcePositions = START_POSITIONS,
    resumeCheck: ResumeCheck = 'full',
  ) {
    const tail = (kind: SourceKind) => new FileTail(kind, path.join(dir, SOURCE_FILES[kind]), maxLineBytes, start[kind], resumeCheck);
    this.tails = { invocations: tail('invocations'), metrics: tail('metrics'), workflow_events: tail('workflow_events') };
  }

  pathOf(kind: SourceKind): string {
    return this.tails[kind].path;
  }

  /** Reads one file's new complete lines (at most `budget` bytes). */
  read(kind: SourceKind, onLine: (kind: SourceKind, line: RawLine) => void, budget?: number): ReadOutcome {
    const result = this.tails[kind].read((line) => onLine(kind, line), budget);
    if (result.kind === 'rewritten') return { kind: 'rewritten', file: kind, why: result.why };
    this.sizes[kind] = result.kind === 'ok' ? result.size : 0;
    return { kind: 'ok', more: result.kind === 'ok' && result.more === true };
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
      try {
        this.sizes[kind] = fs.statSync(this.tails[kind].path).size;
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
