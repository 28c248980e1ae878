import { parseTimestampUs } from '../domain/time.js';
import { UsageError } from '../errors.js';
import type { StateSource } from '../state/followedState.js';

/** The arguments a query checks before it asks anyone: kept apart from loadState so the daemon-answered path does not load the state machinery. */

export function parseSource(raw: string | undefined): StateSource {
  if (raw === undefined || raw === 'auto' || raw === 'replay') return raw ?? 'auto';
  throw new UsageError(`--source must be auto or replay, got ${JSON.stringify(raw)}`);
}

/** --now as epoch microseconds; the clock when absent. */
export function resolveNow(raw: string | undefined, clock: () => number = Date.now): number {
  if (raw === undefined) return clock() * 1000;
  const us = parseTimestampUs(raw);
  if (Number.isNaN(us)) throw new UsageError(`--now must be an ISO-8601 time such as 2026-11-05T00:00:00Z, got ${JSON.stringify(raw)}`);
  return us;
}
