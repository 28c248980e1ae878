/**
 * FileSource applying a rewrite of the invocations file as changes, on real files: when the
 * changed state is announced (the daemon writes a snapshot and checkpoint from it at once), the
 * source's position and lag already describe the rewritten file, not the old one. An announce
 * made before the new tail took the old one's place published the old file's offset with the new
 * state, and nothing read after it (the new tail was at the end already) published it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES, type SourceKind } from '../../src/domain/sources.js';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { createLogger } from '../../src/log.js';
import { Ingest, type SourceTally } from '../../src/pipeline/ingest.js';
import type { RawLine } from '../../src/pipeline/splitLines.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import type { InvocationEvent } from '../../src/domain/events.js';
import { FileSource } from '../../src/sources/fileSource.js';
import type { Fold } from '../../src/sources/source.js';
import { FIXTURE_150 } from '../support/daemonHarness.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();
const MAX = 1 << 20;

/** The daemon's fold, reduced to what FileSource asks of it; `announced` sees what the daemon's onAdopted would. */
class PlainFold implements Fold {
  ingest = new Ingest(initialState(), { maxLineBytes: MAX });
  rebuilding = false;
  rebuilds = 0;
  constructor(private readonly announced: () => void) {}
  apply(kind: SourceKind, line: RawLine, into: Ingest = this.ingest) {
    return into.line(kind, line);
  }
  rewritable(kind: SourceKind): boolean {
    const tally = this.ingest.totals.perSource[kind];
    return tally.rejected === 0 && tally.skipped === 0;
  }
  applyRewrite(_file: SourceKind, _why: string, changes: readonly InvocationEvent[], tally: SourceTally): void {
    this.ingest.applyRewrite(changes, tally);
    this.announced();
  }
  takeRebuildRequest() {
    return null;
  }
  rebuildStarted(): void {
    this.rebuilds++;
  }
  fresh(): Ingest {
    return new Ingest(initialState(), { maxLineBytes: MAX });
  }
  adopt(ingest: Ingest): void {
    this.ingest = ingest;
    this.announced();
  }
  ingestNow(): Ingest {
    return this.ingest;
  }
  get eventsApplied(): number {
    return this.ingest.totals.perSource.invocations.applied;
  }
}

/** A FileSource caught up on a copy of the 150-workflow fixture, following; `changed` resolves at the first announce. */
async function following() {
  const dir = dirs.make();
  for (const kind of ['invocations', 'metrics', 'workflow_events'] as const) fs.copyFileSync(path.join(FIXTURE_150, SOURCE_FILES[kind]), path.join(dir, SOURCE_FILES[kind]));
  const file = path.join(dir, SOURCE_FILES.invocations);
  let source: FileSource | null = null;
  const seen: Array<{ offset: number; lag: number }> = [];
  let announced: () => void = () => undefined;
  const changed = new Promise<void>((resolve) => (announced = resolve));
  const fold = new PlainFold(() => {
    if (source === null) return;
    seen.push({ offset: source.position().positions.invocations.offset, lag: source.lag().bytesPerFile.invocations });
    announced();
  });
  source = new FileSource(dir, MAX, undefined, IGNORE_FAULTS, createLogger('silent'));
  await source.catchUp(fold, () => true);
  const polls$ = new Subject<number>();
  const subscription = source.follow(fold, polls$).subscribe();
  const stop = async () => {
    subscription.unsubscribe();
    await (source as FileSource).close();
  };
  return { file, fold, seen, changed, poll: () => polls$.next(0), stop };
}

/** update_invocation's new file: record 5 made longer, every line written back. */
function updated(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
  const record = JSON.parse(lines[5] as string) as { outcome: { error_message: string | null } };
  record.outcome.error_message = 'changed by update_invocation';
  lines[5] = JSON.stringify(record);
  return `${lines.join('\n')}\n`;
}

describe('FileSource: a rewrite applied as changes', () => {
  it('announces the new state with the rewritten file as its position (offset at its end, no lag)', async () => {
    const { file, fold, seen, changed, poll, stop } = await following();
    try {
      fs.writeFileSync(file, updated(file));
      const size = fs.statSync(file).size;
      poll();
      await changed;
      expect(fold.rebuilds).toBe(0);
      expect(seen[0]).toEqual({ offset: size, lag: 0 });
    } finally {
      await stop();
    }
  });

  it('a writer that stalls half-way for longer than the quiet pause is waited for: still applied as changes', async () => {
    const { file, fold, seen, changed, poll, stop } = await following();
    try {
      const text = updated(file);
      const half = Math.floor(text.length / 2);
      fs.writeFileSync(file, text.slice(0, half));
      poll();
      // The writer is descheduled (python on a busy machine): well past the 50 ms quiet pause.
      await new Promise((resolve) => setTimeout(resolve, 400));
      fs.appendFileSync(file, text.slice(half));
      poll();
      await changed;
      expect(fold.rebuilds).toBe(0);
      expect(seen[0]).toEqual({ offset: fs.statSync(file).size, lag: 0 });
    } finally {
      await stop();
    }
  });
});
