import { type Rejection, type RejectionKind, rejectionKind } from '../decode/rejection.js';
import { SOURCE_FILES, type SourceKind } from '../domain/sources.js';
import { formatTimestampUs } from '../domain/time.js';
import { rejectedRecord } from '../io/stateLogs.js';
import type { Logger } from '../log.js';

/**
 * Per file and interval, this many rejections get a log line each; the rest are counted into
 * one summary line at the end of the interval. 100,000 bad lines make at most 11 log lines per
 * file per 10 s instead of 100,000 (every one is still in rejected.jsonl).
 */
export const INDIVIDUAL_PER_INTERVAL = 10;
export const SUMMARY_INTERVAL_MS = 10_000;

/** The rejections of one file in one interval that were counted, not logged one by one. */
export interface RejectionSummary {
  readonly file: SourceKind;
  readonly count: number;
  readonly byReason: ReadonlyMap<RejectionKind, number>;
  readonly firstLine: number;
  readonly lastLine: number;
  /** When the interval began (ms). */
  readonly sinceMs: number;
}

interface Window {
  readonly startMs: number;
  logged: number;
  counted: number;
  readonly byReason: Map<RejectionKind, number>;
  firstLine: number;
  lastLine: number;
}

/** The counting, with time passed in: which rejections get their own line, which summaries are due. */
export class RejectionTally {
  private readonly windows = new Map<SourceKind, Window>();

  constructor(
    private readonly perInterval = INDIVIDUAL_PER_INTERVAL,
    private readonly intervalMs = SUMMARY_INTERVAL_MS,
  ) {}

  /** True: log this one on its own; false: it was counted. Call `due` first, so an ended interval is closed. */
  note(rejection: Rejection, nowMs: number): boolean {
    let window = this.windows.get(rejection.file);
    if (window === undefined) {
      window = { startMs: nowMs, logged: 0, counted: 0, byReason: new Map(), firstLine: 0, lastLine: 0 };
      this.windows.set(rejection.file, window);
    }
    if (window.logged < this.perInterval) {
      window.logged++;
      return true;
    }
    if (window.counted === 0) window.firstLine = rejection.line;
    window.counted++;
    window.lastLine = rejection.line;
    const kind = rejectionKind(rejection.reason);
    window.byReason.set(kind, (window.byReason.get(kind) ?? 0) + 1);
    return false;
  }

  /** The summaries of the intervals ended by `nowMs` (every one when `all`); their files start afresh. */
  due(nowMs: number, all = false): RejectionSummary[] {
    const summaries: RejectionSummary[] = [];
    for (const [file, w] of this.windows) {
      if (!all && nowMs < w.startMs + this.intervalMs) continue;
      this.windows.delete(file);
      if (w.counted > 0) summaries.push({ file, count: w.counted, byReason: w.byReason, firstLine: w.firstLine, lastLine: w.lastLine, sinceMs: w.startMs });
    }
    return summaries;
  }

  /** When the next summary is due (ms), or null when nothing is counted. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const w of this.windows.values()) {
      if (w.counted > 0 && (next === null || w.startMs + this.intervalMs < next)) next = w.startMs + this.intervalMs;
    }
    return next;
  }
}

/** Runs `fn` after `ms`; returns what cancels it. The default never keeps the process alive. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export const unrefTimeout: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface RejectionReportsOptions {
  readonly perInterval?: number;
  readonly intervalMs?: number;
  readonly schedule?: Schedule;
}

/**
 * What the daemon does with a rejected line: its record goes to rejected.jsonl, and the log
 * gets one line for it, or a count in the file's summary line when it is one of many.
 */
export class RejectionReports {
  private readonly tally: RejectionTally;
  private readonly intervalMs: number;
  private readonly schedule: Schedule;
  private cancel: (() => void) | null = null;
  /** When the scheduled summary run is due (ms). */
  private armedFor = Infinity;

  constructor(
    private readonly log: Logger,
    private readonly records: { append(record: object): void },
    private readonly clock: () => number,
    options: RejectionReportsOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? SUMMARY_INTERVAL_MS;
    this.tally = new RejectionTally(options.perInterval ?? INDIVIDUAL_PER_INTERVAL, this.intervalMs);
    this.schedule = options.schedule ?? unrefTimeout;
  }

  report(rejection: Rejection, bytes: Buffer | null, whole: boolean): void {
    const nowMs = this.clock();
    this.records.append(rejectedRecord(rejection, bytes, whole, formatTimestampUs(nowMs * 1000)));
    this.emit(this.tally.due(nowMs));
    if (this.tally.note(rejection, nowMs)) {
      this.log.warn({ file: SOURCE_FILES[rejection.file], line: rejection.line, byte_offset: rejection.byteOffset, reason: rejection.reason }, 'line rejected');
    }
    this.arm();
  }

  /** Logs what is counted so far (shutdown). */
  close(): void {
    this.cancel?.();
    this.cancel = null;
    this.armedFor = Infinity;
    this.emit(this.tally.due(this.clock(), true));
  }

  private arm(): void {
    const due = this.tally.nextDueMs();
    if (due === null || due >= this.armedFor) return;
    this.cancel?.();
    this.armedFor = due;
    this.cancel = this.schedule(() => {
      this.cancel = null;
      this.armedFor = Infinity;
      this.emit(this.tally.due(this.clock()));
      this.arm();
    }, Math.max(0, due - this.clock()));
  }

  private emit(summaries: readonly RejectionSummary[]): void {
    for (const s of summaries) {
      this.log.warn(
        {
          file: SOURCE_FILES[s.file],
          rejected: s.count,
          by_reason: Object.fromEntries(s.byReason),
          first_line: s.firstLine,
          last_line: s.lastLine,
          since: formatTimestampUs(s.sinceMs * 1000),
        },
        `lines rejected: ${s.count} more in ${SOURCE_FILES[s.file]} (summary; each is in rejected.jsonl)`,
      );
    }
  }
}
