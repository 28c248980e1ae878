import type { Logger } from '../log.js';

/**
 * I/O faults as data. A fault is one (file, operation) that fails: a telemetry file that became
 * a directory, a state dir that is full or read-only, a watcher that died. Each one is logged
 * once when it starts and once when it clears (never per retry), every failed attempt is
 * counted by (op, file, code), and the active ones are shown in the snapshot's
 * `health.faults`, `/readyz` and `/metrics`.
 */
export interface Fault {
  /** What failed: a file name relative to its dir (agent_invocations.jsonl, checkpoint.bin...), or a dir. */
  readonly file: string;
  /** The operation: open, stat, read, watch, write, append, truncate, rename, fsync, apply... */
  readonly op: string;
  /** The errno code (EISDIR, ENOSPC...) or a code of ours (ENOTREG for a FIFO, EAPPLY...). */
  readonly code: string;
  readonly message: string;
  /** When it started (ISO-8601 UTC). */
  readonly since: string;
  /** Failed attempts since it started. */
  readonly attempts: number;
}

/** What the edges that meet faults report to: the daemon's registry, or nothing in a one-shot CLI. */
export interface FaultSink {
  /** One failed attempt of `op` on `file`. */
  raise(file: string, op: string, error: unknown): void;
  /** `op` on `file` succeeded: a fault there, if any, has cleared. */
  clear(file: string, op: string): void;
}

export const IGNORE_FAULTS: FaultSink = { raise: () => undefined, clear: () => undefined };

export interface IoErrorCount {
  readonly op: string;
  readonly file: string;
  readonly code: string;
  readonly count: number;
}

/** The code of an error: its errno code when it has one, else `fallback`. */
export function errorCode(error: unknown, fallback = 'EUNKNOWN'): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : fallback;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The daemon's faults: active ones, counts of every failed attempt, a log line per start and end. */
export class FaultRegistry implements FaultSink {
  private readonly active = new Map<string, Fault>();
  private readonly counts = new Map<string, { op: string; file: string; code: string; count: number }>();
  private listeners: Array<() => void> = [];
  /** Every failed attempt so far, all faults together: a poll that sees it move shows the new attempts. */
  private attemptsSoFar = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => string,
  ) {}

  raise(file: string, op: string, error: unknown): void {
    const code = errorCode(error);
    const message = errorMessage(error);
    this.attemptsSoFar++;
    const countKey = `${op}\u0000${file}\u0000${code}`;
    const counted = this.counts.get(countKey);
    if (counted) counted.count++;
    else this.counts.set(countKey, { op, file, code, count: 1 });
    const key = `${file}\u0000${op}`;
    const known = this.active.get(key);
    if (known !== undefined && known.code === code) {
      this.active.set(key, { ...known, attempts: known.attempts + 1, message });
      return;
    }
    const fault: Fault = { file, op, code, message, since: known?.since ?? this.now(), attempts: (known?.attempts ?? 0) + 1 };
    this.active.set(key, fault);
    this.log.error({ fault: { file, op, code }, err: message }, `I/O fault: ${op} ${file}: ${code}`);
    this.changed();
  }

  clear(file: string, op: string): void {
    const key = `${file}\u0000${op}`;
    const fault = this.active.get(key);
    if (fault === undefined) return;
    this.active.delete(key);
    this.log.info({ fault: { file, op, code: fault.code }, since: fault.since, attempts: fault.attempts }, `I/O fault cleared: ${op} ${file}`);
    this.changed();
  }

  /** The faults now active, oldest first. */
  faults(): Fault[] {
    return [...this.active.values()].sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
  }

  /** Every failed attempt so far, by (op, file, code): oak_io_errors_total. */
  errorCounts(): IoErrorCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  /** Failed attempts so far; listeners hear only of starts and clears, a poll compares this. */
  failedAttempts(): number {
    return this.attemptsSoFar;
  }

  /** Called whenever a fault starts or clears (the snapshot shows them). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
