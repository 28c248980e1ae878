import { replayDirectory } from '../io/replayFiles.js';
import type { TelemetryState } from '../projections/telemetryState.js';
import { parseTimestampUs } from '../domain/time.js';
import { UsageError } from '../errors.js';

/** Batch replay for a query; tells stderr how many bad lines it skipped. */
export function loadState(dir: string): TelemetryState {
  const ingest = replayDirectory(dir);
  const skipped = ingest.rejectedCount;
  if (skipped > 0) {
    process.stderr.write(
      `oak-telemetry: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${dir} (run \`oak-telemetry validate --dir ${dir}\` for details)\n`,
    );
  }
  return ingest.state;
}

/** --now as epoch microseconds; the clock when absent. */
export function resolveNow(raw: string | undefined, clock: () => number = Date.now): number {
  if (raw === undefined) return clock() * 1000;
  const us = parseTimestampUs(raw);
  if (Number.isNaN(us)) throw new UsageError(`--now must be an ISO-8601 time such as 2026-11-05T00:00:00Z, got ${JSON.stringify(raw)}`);
  return us;
}
