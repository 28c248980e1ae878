import { readToEnd, resume, startFresh, type Resumed } from '../io/resume.js';
import type { FollowedState, StateSource } from './followedState.js';

export interface FileStateSettings {
  readonly dir: string;
  readonly stateDir: string;
  /** The daemon's limit: the checkpoint was folded under it, so the lines after it must be too. */
  readonly maxLineBytes: number;
  readonly source: StateSource;
}

/**
 * The files' state: with `auto`, the daemon's checkpoint plus what the files gained since (the
 * code a daemon restart runs), or a replay when there is none or the files no longer match it.
 * The answers are the same either way; nothing here writes the checkpoint. Reads nothing until
 * the first `current()`.
 */
export function followFiles(settings: FileStateSettings): FollowedState {
  const { dir, stateDir, maxLineBytes } = settings;
  // A fresh read keeps no hashes ('quick'): no checkpoint written here could vouch for them.
  const fresh = () => startFresh(dir, maxLineBytes, {}, null, 'quick');
  let loaded: Resumed | null = null;
  return {
    current() {
      if (loaded === null) {
        const resumed = settings.source === 'auto' ? resume(stateDir, dir, maxLineBytes, {}, 'once', undefined, true) : null;
        loaded = resumed !== null && resumed.checkpoint !== null ? resumed : fresh();
      }
      if (!readToEnd(loaded)) {
        loaded = fresh();
        readToEnd(loaded);
      }
      return loaded.ingest.state;
    },
    origin: () => (loaded?.checkpoint != null ? 'checkpoint' : 'replay'),
    rejectedCount: () => loaded?.ingest.rejectedCount ?? 0,
    close: async () => {},
  };
}
