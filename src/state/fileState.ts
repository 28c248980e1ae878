import { readToEnd, resume, startFresh, type Resumed } from '../io/resume.js';
import { type DecodeWorkerChoice, readFirstWithWorker } from '../io/replayFiles.js';
import type { FollowedState, StateSource } from './followedState.js';

export interface FileStateSettings {
  readonly dir: string;
  readonly stateDir: string;
  /** The daemon's limit: the checkpoint was folded under it, so the lines after it must be too. */
  readonly maxLineBytes: number;
  readonly source: StateSource;
  /**
   * Whether a replay from the start decodes in a worker thread (replayFiles.ts; default 'auto':
   * for large files on two cores or more). The answers and positions are the same either way.
   */
  readonly decodeWorker?: DecodeWorkerChoice;
}

/** A replay from the start, read to the end of every file, and whether a worker decoded it. */
export interface Replayed {
  readonly resumed: Resumed;
  readonly inWorker: boolean;
}

/**
 * Every file read from the start into a fresh state: by the decoding worker when it applies
 * (the tails then go on from where its reads ended), else on this thread; the same state,
 * tallies and positions either way. Its tails keep no hashes ('quick'): no checkpoint written
 * from them could vouch for one. `hold` gets the replay before a read on this thread, so a
 * fault thrown from that read leaves what was read before it in the caller's hands, as it
 * always did.
 */
export function replayFresh(dir: string, maxLineBytes: number, decodeWorker: DecodeWorkerChoice = 'auto', hold: (resumed: Resumed) => void = () => undefined): Replayed {
  const first = startFresh(dir, maxLineBytes, {}, null, 'quick');
  let failed = false;
  try {
    if (readFirstWithWorker(first.sources, first.ingest, maxLineBytes, decodeWorker)) {
      hold(first);
      return { resumed: first, inWorker: true };
    }
  } catch {
    // A file the worker could not read (or a worker that failed): what it read is dropped and
    // this thread reads from the start, meeting the fault as a one-thread replay does and
    // keeping what that keeps (lines before it, the file's retry), for the next read.
    failed = true;
  }
  const resumed = failed ? startFresh(dir, maxLineBytes, {}, null, 'quick') : first;
  hold(resumed);
  readToEnd(resumed);
  return { resumed, inWorker: false };
}

/**
 * The files' state: with `auto`, the daemon's checkpoint plus what the files gained since (the
 * code a daemon restart runs), or a replay when there is none or the files no longer match it.
 * The answers are the same either way; nothing here writes the checkpoint. Reads nothing until
 * the first `current()`.
 */
export function followFiles(settings: FileStateSettings): FollowedState {
  const { dir, stateDir, maxLineBytes } = settings;
  let loaded: Resumed | null = null;
  let inWorker = false;
  const fresh = (): Resumed => {
    inWorker = false;
    const replayed = replayFresh(dir, maxLineBytes, settings.decodeWorker, (resumed) => {
      loaded = resumed;
    });
    inWorker = replayed.inWorker;
    return replayed.resumed;
  };
  return {
    current() {
      if (loaded === null) {
        const resumed = settings.source === 'auto' ? resume(stateDir, dir, maxLineBytes, {}, 'once', undefined, true) : null;
        if (resumed !== null && resumed.checkpoint !== null) loaded = resumed;
        else return (loaded = fresh()).ingest.state;
      }
      // A fresh replay's first read cannot find a file rewritten, so this one is its last.
      if (!readToEnd(loaded)) loaded = fresh();
      return loaded.ingest.state;
    },
    origin: () => (loaded?.checkpoint != null ? 'checkpoint' : 'replay'),
    decodedInWorker: () => loaded?.checkpoint == null && inWorker,
    rejectedCount: () => loaded?.ingest.rejectedCount ?? 0,
    close: async () => {},
  };
}
