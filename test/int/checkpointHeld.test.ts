/**
 * The live daemon's checkpoint, encoded in steps across turns of the event loop while the file
 * source holds its reads (in process, on real files): it is of one state, the one at its start;
 * lines appended during the encode are neither in it (state or offset) nor lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpointer } from '../../src/daemon/checkpointer.js';
import { StateDirWrites } from '../../src/daemon/stateDirWrites.js';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { CHECKPOINT_FILE, decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpointStore.js';
import { IGNORE_FAULTS } from '../../src/io/faults.js';
import { checkpointOf, followingFileSource } from '../support/followingFileSource.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();

describe('a checkpoint encoded in steps while the reads are held', () => {
  it('with the reads held: a line appended between steps is not in the checkpoint (state or offset) and is applied once released', async () => {
    const { dir, fold, source, poll, nextApplied, stop } = await followingFileSource(dirs.make());
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
