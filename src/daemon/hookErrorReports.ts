import { formatTimestampUs } from '../domain/time.js';
import type { FaultSink } from '../io/faults.js';
import { HOOK_ERRORS_LOG, HookErrorFollower, type HookErrorsHealth, type HookErrorsSaved, type LastHookError } from '../io/hookErrorFollower.js';
import type { Logger } from '../log.js';

/** A burst's log line waits this long after its first error, gathering the rest. */
export const BURST_MS = 10_000;

/**
 * The Claude Code hook's errors as the daemon reports them. The hook never fails the agent; it
 * writes what went wrong to `<stateDir>/hook-errors.jsonl`, and this counts those lines (on the
 * daemon's poll: two stats when nothing changed) for health.hook_errors and
 * oak_hook_errors_total. The count and the positions go into the checkpoint; without one (a
 * first start, a refused checkpoint), every line present counts, as the state is rebuilt too.
 * The log gets one warn line per burst: the errors of BURST_MS from the first, counted together.
 * Reading the file is a fault like any other (file hook-errors.jsonl, op read).
 */
export class HookErrorReports {
  private readonly follower: HookErrorFollower;
  private count = 0;
  private last: LastHookError | null = null;
  private burst: { readonly startMs: number; count: number; first: LastHookError } | null = null;

  constructor(
    stateDir: string,
    private readonly faults: FaultSink,
    private readonly log: Logger,
    private readonly clock: () => number,
  ) {
    this.follower = new HookErrorFollower(stateDir);
  }

  resume(saved: HookErrorsSaved | null | undefined): void {
    if (saved == null) return;
    this.count = saved.count;
    this.last = saved.last;
    this.follower.startAt(saved.files);
  }

  /** Looks for new lines; true when the count changed (a snapshot and a checkpoint are due). */
  poll(): boolean {
    let lines: string[];
    try {
      lines = this.follower.read();
      this.faults.clear(HOOK_ERRORS_LOG, 'read');
    } catch (error) {
      this.faults.raise(HOOK_ERRORS_LOG, 'read', error);
      return false;
    }
    const nowMs = this.clock();
    if (this.burst !== null && nowMs >= this.burst.startMs + BURST_MS) this.endBurst();
    if (lines.length === 0) return false;
    for (const line of lines) this.last = lastOf(line);
    this.count += lines.length;
    if (this.burst === null) this.burst = { startMs: nowMs, count: 0, first: lastOf(lines[0]!) };
    this.burst.count += lines.length;
    return true;
  }

  health(): HookErrorsHealth {
    return { count: this.count, last: this.last };
  }

  saved(): HookErrorsSaved {
    return { count: this.count, last: this.last, files: this.follower.position() };
  }

  /** The burst under way gets its line now (shutdown). */
  close(): void {
    if (this.burst !== null) this.endBurst();
  }

  private endBurst(): void {
    const burst = this.burst!;
    this.burst = null;
    this.log.warn(
      { hook_errors: burst.count, total: this.count, since: formatTimestampUs(burst.startMs * 1000), first: burst.first, last: this.last, file: HOOK_ERRORS_LOG },
      `Claude Code hook errors: ${burst.count} in ${HOOK_ERRORS_LOG} (the hooks went on; each error is a line there)`,
    );
  }
}

/** A line as the hook writes it (hookErrorLog.ts); one that is not (a torn write) still counts. */
function lastOf(line: string): LastHookError {
  try {
    const v = JSON.parse(line) as { at?: unknown; event?: unknown; error?: unknown };
    return {
      at: typeof v.at === 'string' ? v.at : null,
      event: typeof v.event === 'string' ? v.event : null,
      error: typeof v.error === 'string' ? v.error : JSON.stringify(v).slice(0, 2000),
    };
  } catch {
    return { at: null, event: null, error: `unreadable line in ${HOOK_ERRORS_LOG}: ${line.slice(0, 200)}` };
  }
}
