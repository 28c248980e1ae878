/**
 * A checkpoint encoded in steps across turns of the event loop (the live daemon's, so the API
 * answers meanwhile) is the same bytes as one encoded at once. With the reads held meanwhile it
 * is of one state: test/int/checkpointHeld.test.ts (its own module graph: checkpointer.test.ts
 * mocks the store under the Checkpointer).
 */
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, encodeCheckpointInSteps } from '../../src/io/checkpointStore.js';
import { checkpointOf, followingFileSource } from '../support/followingFileSource.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();

describe('a checkpoint encoded in steps', () => {
  it('is the same bytes as one encoded at once, made in many steps (each projection, then the CRC in pieces)', async () => {
    const { fold, source, stop } = await followingFileSource(dirs.make());
    try {
      const checkpoint = checkpointOf(source, fold);
      let steps = 0;
      const parts = await encodeCheckpointInSteps(
        checkpoint,
        async () => {
          steps++;
        },
        1000,
      );
      const bytes = Buffer.concat(parts);
      expect(bytes.equals(encodeCheckpoint(checkpoint))).toBe(true);
      expect(steps).toBeGreaterThan(bytes.length / 1000 - 1);
      expect(decodeCheckpoint(bytes, source.origin).ok).toBe(true);
    } finally {
      await stop();
    }
  });
});
