import { asyncScheduler, filter, interval, map, type Observable, share, type Subscription, throttleTime } from 'rxjs';
import { errorMessage, type FaultSink } from '../io/faults.js';
import type { Logger } from '../log.js';

export interface LiveJobs {
  /** The source's batches, given the poll ticks: whether each applied anything. */
  readonly follow: (polls$: Observable<number>) => Observable<boolean>;
  /** Something was applied (at most once per batch). */
  readonly changed: () => void;
  /** After changes, at most once per snapshot interval: alerts, then a snapshot. */
  readonly publish: () => void;
  /** Every poll: alerts that time alone fires, retries (the lock, a stale snapshot). */
  readonly poll: () => void;
  /** Every checkpoint interval. */
  readonly checkpoint: () => void;
}

export interface LiveTiming {
  readonly pollIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly checkpointIntervalMs: number;
}

/**
 * The live pipeline: the source's batches -> (throttled) publish, the poll, the checkpoint
 * timer. Every callback is guarded and every subscription has an error path: an exception is
 * logged and counted (a fault of `daemon`) and never ends the stream; a subscription that fails
 * anyway is started again.
 */
export class LivePipeline {
  private subscriptions: Subscription[] = [];
  private stopped = false;

  constructor(
    private readonly jobs: LiveJobs,
    private readonly timing: LiveTiming,
    private readonly log: Logger,
    private readonly faults: FaultSink,
  ) {}

  start(): void {
    const polls$ = interval(this.timing.pollIntervalMs).pipe(share());
    const changed$ = this.jobs.follow(polls$).pipe(
      filter((changed) => changed),
      map(() => this.guard('apply', this.jobs.changed)),
      share(),
    );
    const publish$ = changed$.pipe(throttleTime(this.timing.snapshotIntervalMs, asyncScheduler, { leading: true, trailing: true }));
    const onError = (what: string) => (error: unknown) => this.failed(what, error);
    this.subscriptions.push(
      publish$.subscribe({ next: () => this.guard('publish', this.jobs.publish), error: onError('apply') }),
      polls$.subscribe({ next: () => this.guard('poll', this.jobs.poll), error: onError('poll') }),
      interval(this.timing.checkpointIntervalMs).subscribe({ next: () => this.guard('checkpoint', this.jobs.checkpoint), error: onError('checkpoint timer') }),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error({ err: error, in: what }, `unexpected error in the live pipeline (${what}); it goes on`);
      this.faults.raise('daemon', what, Object.assign(new Error(errorMessage(error)), { code: 'EINTERNAL' }));
    }
  }

  private failed(what: string, error: unknown): void {
    if (this.stopped) return;
    this.log.error({ err: error, in: what }, 'the live pipeline failed: restarting it');
    this.faults.raise('daemon', 'pipeline', Object.assign(new Error(errorMessage(error)), { code: 'EINTERNAL' }));
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    setImmediate(() => {
      if (!this.stopped) this.start();
    });
  }
}
