/**
 * The live daemon's checkpoint, encoded in steps across turns of the event loop while the file
 * source holds its reads (in process, on real files): it is of one state, the one at its start;
 * lines appended during the encode are neither in it (state or offset) nor lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Checkpointer } from '../../src/daemon/checkpointer.js';
import { StateDirWrites } from '../../src/daemon/stateDirWrites.js';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';
import { type Checkpoint, CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpointStore.js';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { createLogger } from '../../src/log.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import type { RawLine } from '../../src/pipeline/splitLines.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import { FileSource } from '../../src/sources/fileSource.js';
import type { Fold } from '../../src/sources/source.js';
import type { SourceKind } from '../../src/domain/sources.js';
import { FIXTURE_150 } from '../support/daemonHarness.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();
const MAX = 1 << 20;

/** The daemon's fold reduced to plain applies (no rewrites or rebuilds happen here). */
function plainFold(): Fold & { ingest: Ingest } {
  const fold = {
    ingest: new Ingest(initialState(), { maxLineBytes: MAX }),
    rebuilding: false,
    apply: (kind: SourceKind, line: RawLine, into?: Ingest) => (into ?? fold.ingest).line(kind, line),
    rewritable: () => false,
    applyRewrite: () => undefined,
    takeRebuildRequest: () => null,
    rebuildStarted: () => undefined,
    fresh: () => new Ingest(initialState(), { maxLineBytes: MAX }),
    adopt: (ingest: Ingest) => {
      fold.ingest = ingest;
    },
    ingestNow: () => fold.ingest,
    get eventsApplied() {
      return fold.ingest.totals.perSource.invocations.applied;
    },
  };
  return fold;
}

function checkpointOf(source: FileSource, fold: { ingest: Ingest }): Checkpoint {
  const { positions, stream } = source.position();
  return {
    dir: source.origin,
    positions,
    stream,
    totals: fold.ingest.totals,
    rebuilds: 0,
    rejectedFileSize: 0,
    rejectedFileId: null,
    alertsFileSize: 0,
    activeAlerts: [],
    hookErrors: null,
    savedAt: '2026-12-01T00:00:00Z',
    state: fold.ingest.state,
  };
}

/** A FileSource caught up on a copy of the 150-workflow fixture, following; polls are the test's to give. */
async function following() {
  const dir = dirs.make();
  for (const kind of SOURCE_KINDS) fs.copyFileSync(path.join(FIXTURE_150, SOURCE_FILES[kind]), path.join(dir, SOURCE_FILES[kind]));
  const fold = plainFold();
  const source = new FileSource(dir, MAX, undefined, IGNORE_FAULTS, createLogger('silent'));
  await source.catchUp(fold, () => true);
  const polls$ = new Subject<number>();
  const applied: boolean[] = [];
  let onApplied: () => void = () => undefined;
  const subscription = source.follow(fold, polls$).subscribe((changed) => {
    applied.push(changed);
    if (changed) onApplied();
  });
  const nextApplied = () => new Promise<void>((resolve) => (onApplied = resolve));
  const stop = async () => {
    subscription.unsubscribe();
    await source.close();
  };
  return { dir, fold, source, poll: () => polls$.next(0), nextApplied, stop };
}

describe('a checkpoint encoded in steps while the reads are held', () => {
  it('with the reads held: a line appended between steps is not in the checkpoint (state or offset) and is applied once released', async () => {
    const { dir, fold, source, poll, nextApplied, stop } = await following();
    const stateDir = dirs.make();
    try {
      const before = checkpointOf(source, fold);
      // What a checkpoint encoded at once, now, holds.
      const atOnce = encodeCheckpoint(before);
      const invocationsBefore = fold.ingest.totals.perSource.invocations.applied;
      const offsetBefore = before.positions.invocations.offset;
      const checkpointer = new Checkpointer(
        stateDir,
        () => checkpointOf(source, fold),
        new StateDirWrites(stateDir, IGNORE_FAULTS),
        () => false,
        () => true,
        undefined,
        () => source.hold(),
      );
      const line = fs.readFileSync(path.join(dir, SOURCE_FILES.invocations), 'utf8').split('\n')[0]!.replace(/"invocation_id": ?"[^"]+"/, '"invocation_id": "00000000-0000-4000-8000-00000000abcd"');
      const saving = checkpointer.save();
      // Between the steps: a line lands and a read is asked for (the watcher, a poll).
      await new Promise((resolve) => setImmediate(resolve));
      fs.appendFileSync(path.join(dir, SOURCE_FILES.invocations), `${line}\n`);
      const applied = nextApplied();
      poll();
      expect(fold.ingest.totals.perSource.invocations.applied, 'held: not applied during the encode').toBe(invocationsBefore);
      await saving;
      await applied;
      expect(fold.ingest.totals.perSource.invocations.applied, 'applied once released').toBe(invocationsBefore + 1);

      const saved = decodeCheckpoint(fs.readFileSync(path.join(stateDir, CHECKPOINT_FILE)), source.origin);
      if (!saved.ok) throw new Error(saved.why);
      expect(saved.checkpoint.positions.invocations.offset).toBe(offsetBefore);
      expect(saved.checkpoint.totals.perSource.invocations.applied).toBe(invocationsBefore);
      expect(fs.readFileSync(path.join(stateDir, CHECKPOINT_FILE)).equals(atOnce), 'the bytes of the checkpoint encoded at once before the line').toBe(true);
    } finally {
      await stop();
    }
  });
});
