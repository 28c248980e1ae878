/**
 * A daemon's file source on real files, in process, without the daemon around it: caught up on
 * a copy of the 150-workflow fixture and following, with the polls given by the test (the
 * checkpoint-in-steps tests, unit and int, each need one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Subject } from 'rxjs';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import type { Checkpoint } from '../../src/io/checkpointStore.js';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { createLogger } from '../../src/log.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import type { RawLine } from '../../src/pipeline/splitLines.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import { FileSource } from '../../src/sources/fileSource.js';
import type { Fold } from '../../src/sources/source.js';
import { FIXTURE_150 } from './daemonHarness.js';

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

export function checkpointOf(source: FileSource, fold: { ingest: Ingest }): Checkpoint {
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

/** A FileSource caught up on a copy of the 150-workflow fixture in `dir`, following; polls are the test's to give. */
export async function followingFileSource(dir: string) {
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
