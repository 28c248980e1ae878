import path from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { CommandFailed } from '../errors.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { followFiles } from '../state/fileState.js';
import { requireTelemetryDir } from './telemetryDir.js';
import type { StateSource } from '../state/followedState.js';
import { describeSystemError, isSystemError } from './failureMessage.js';
import { oneLine } from './terminalText.js';

export type { StateSource } from '../state/followedState.js';
export { requireTelemetryDir } from './telemetryDir.js';

/**
 * The files' state for a query, read once (see state/fileState.ts: the checkpoint plus what the
 * files gained, or a replay). Tells stderr how many bad lines the answer skips.
 */
export function loadState(
  dir: string,
  source: StateSource = 'auto',
  onSkipped: (count: number) => void = (count) => noteSkipped(dir, count),
  stateDir = path.join(dir, '.oak-telemetry'),
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): TelemetryState {
  requireTelemetryDir(dir);
  const followed = followFiles({ dir, stateDir, maxLineBytes, source });
  const state = naming(dir, () => followed.current());
  if (followed.rejectedCount() > 0) onSkipped(followed.rejectedCount());
  return state;
}

export function noteSkipped(dir: string, skipped: number): void {
  const shown = oneLine(dir);
  process.stderr.write(
    `oak-telemetry: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${shown} (run \`oak-telemetry validate --dir ${shown}\` for details)\n`,
  );
}

/** Runs a read of the telemetry in `dir`; a system error that names no path (a read on a descriptor) is given the directory. */
export function naming<T>(dir: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isSystemError(error) && error.path === undefined) throw new CommandFailed(`${dir}: reading the telemetry: ${describeSystemError(error)}`);
    throw error;
  }
}
