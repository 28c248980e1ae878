import path from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { parseTimestampUs } from '../domain/time.js';
import { UsageError } from '../errors.js';
import { readToEnd, resume, startFresh, type Resumed } from '../io/resume.js';
import type { TelemetryState } from '../projections/telemetryState.js';

export type StateSource = 'auto' | 'replay';

export function parseSource(raw: string | undefined): StateSource {
  if (raw === undefined || raw === 'auto' || raw === 'replay') return raw ?? 'auto';
  throw new UsageError(`--source must be auto or replay, got ${JSON.stringify(raw)}`);
}

/**
 * The state for a query. `auto`: the daemon's checkpoint plus what the files gained since (the
 * code a daemon restart runs), or a full replay when there is no checkpoint or the files no
 * longer match it. `replay`: always from the files. The answers are the same either way; the
 * CLI never writes the checkpoint. Tells stderr how many bad lines the answer skips.
 */
export function loadState(
  dir: string,
  source: StateSource = 'auto',
  onSkipped: (count: number) => void = (count) => noteSkipped(dir, count),
  stateDir = path.join(dir, '.oak-telemetry'),
): TelemetryState {
  // The checkpoint is checked in full (every byte before its offsets hashed); a fresh read
  // keeps no hashes ('quick'): the CLI never writes a checkpoint they could vouch for.
  const fresh = () => startFresh(dir, DEFAULT_MAX_LINE_BYTES, {}, null, 'quick');
  let loaded: Resumed = fresh();
  if (source === 'auto') {
    const resumed = resume(stateDir, dir, DEFAULT_MAX_LINE_BYTES, {});
    if (resumed.checkpoint !== null) loaded = resumed;
  }
  if (!readToEnd(loaded)) {
    loaded = fresh();
    readToEnd(loaded);
  }
  if (loaded.ingest.rejectedCount > 0) onSkipped(loaded.ingest.rejectedCount);
  return loaded.ingest.state;
}

function noteSkipped(dir: string, skipped: number): void {
  process.stderr.write(
    `oak-telemetry: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${dir} (run \`oak-telemetry validate --dir ${dir}\` for details)\n`,
  );
}

/** --now as epoch microseconds; the clock when absent. */
export function resolveNow(raw: string | undefined, clock: () => number = Date.now): number {
  if (raw === undefined) return clock() * 1000;
  const us = parseTimestampUs(raw);
  if (Number.isNaN(us)) throw new UsageError(`--now must be an ISO-8601 time such as 2026-11-05T00:00:00Z, got ${JSON.stringify(raw)}`);
  return us;
}
