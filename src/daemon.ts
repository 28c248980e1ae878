import fs from 'node:fs';
import path from 'node:path';
import { asyncScheduler, filter, interval, map, merge, type Observable, scan, share, Subject, type Subscription, switchMap, take, throttleTime } from 'rxjs';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from './domain/sources.js';
import { stringifyJson } from './domain/jsonText.js';
import { formatTimestampUs } from './domain/time.js';
import { pyRound } from './domain/pyRound.js';
import { CHECKPOINT_FILE, saveCheckpoint, saveCheckpointSync } from './io/checkpointStore.js';
import { resume, startFresh } from './io/resume.js';
import { replaceFileAtomic, writeFileAtomicSync } from './io/atomicFile.js';
import { LatestWriter } from './io/latestWriter.js';
import { acquireLock, LOCK_FILE_NAME, type LockHandle, LockWriteFailed } from './io/lockFile.js';
import type { SourceSet } from './io/sourceSet.js';
import { alertsLog, REJECTED_LOG_GENERATIONS, REJECTED_LOG_MAX_BYTES, rejectedLog, type StateLog } from './io/stateLogs.js';
import { RejectionReports } from './daemon/rejectionReports.js';
import { announceApi, withdrawApi } from './daemon/apiRecord.js';
import type { Logger } from './log.js';
import { FaultRegistry, errorMessage } from './io/faults.js';
import { DirWatcher } from './daemon/dirWatcher.js';
import type { Ingest, IngestOptions } from './pipeline/ingest.js';
import type { RawLine } from './pipeline/splitLines.js';
import { type ActiveAlert, type AlertSettings, checkAlerts, transition } from './queries/alerts.js';
import type { TelemetryEvent } from './domain/events.js';
import { OVERRUN_RATIO } from './projections/estimateAccuracy.js';
import { projectOf } from './projections/workflowDetails.js';
import { buildSnapshot, type WorkflowViews, workflowViews } from './queries/snapshot.js';
import type { FastifyInstance } from 'fastify';
import { buildApi } from './http/apiServer.js';
import { EventStream } from './http/eventStream.js';
import { DaemonMetrics } from './http/metrics.js';
import type { ListenAddress } from './http/listenAddress.js';
import * as q from './queries/telemetryQueries.js';
import { type StreamPosition, streamOrigin } from './domain/streamPosition.js';
import { connectNats } from './transport/natsStream.js';
import { StreamFeed } from './transport/streamFeed.js';

/** Everything the daemon needs to know, already validated (see config.ts). */
export interface DaemonSettings {
  readonly dir: string;
  readonly stateDir: string;
  readonly pollIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly maxLineBytes: number;
  readonly rollingWindow: number;
  readonly snapshotListLimit: number;
  readonly alerts: AlertSettings;
  /** Where the HTTP API listens; null: no API. */
  readonly http?: ListenAddress;
  readonly httpToken?: string | null;
  /** Follow this JetStream stream (filled by `oak-telemetry ship`) instead of the files in `dir`. */
  readonly nats?: { readonly url: string; readonly stream: string; readonly consumer: string } | null;
}

export const SNAPSHOT_FILE = 'snapshot.json';

export const PERFORMANCE_STATS_FILE = 'performance_stats.json';
/** Bytes read per step while catching up, between which progress is logged and I/O can run. */
const CATCH_UP_STEP_BYTES = 32 * 1024 * 1024;
const PERFORMANCE_STATS_INTERVAL_MS = 1000;
/**
 * chokidar passes at most one change event per file every 50 ms and drops the rest without a
 * trailing one. So after each event the file is read again every FOLLOW_READ_MS until this long
 * after the event: a line appended inside chokidar's quiet window waits a few ms, not for the
 * next event (a debounced read alone never fired while appends kept coming every < 60 ms).
 */
const TRAILING_READ_MS = 60;
/**
 * The hand-off, gap, estimate and bottleneck sections walk every invocation (~0.25 s at 30k
 * workflows): the snapshot recomputes them at most this often, and never more than a tenth of
 * the time (an interval of at least 10x the last computation), and carries their `as_of`.
 */
const WORKFLOW_VIEWS_INTERVAL_MS = 1000;
const WORKFLOW_VIEWS_MAX_SHARE = 0.1;
const FOLLOW_READ_MS = 5;
/** Errors of a state dir that takes no writes for now (the daemon runs on and retries). */
const STATE_DIR_FULL = new Set(['ENOSPC', 'EROFS', 'EDQUOT']);
/**
 * Bytes read per file per live read: a huge append (or a symlink to a 10 GB file) is read in
 * steps with the event loop free between them, so the API and the other files keep going.
 */
const LIVE_READ_BUDGET = 4 * 1024 * 1024;

/** Ticks every FOLLOW_READ_MS for TRAILING_READ_MS after each event; a new event restarts them. */
function followUps(events$: Observable<unknown>): Observable<unknown> {
  return events$.pipe(switchMap(() => interval(FOLLOW_READ_MS).pipe(take(Math.ceil(TRAILING_READ_MS / FOLLOW_READ_MS)))));
}

interface LineBatch {
  readonly lines: Array<readonly [SourceKind, RawLine]>;
  readonly rewritten: { readonly file: SourceKind; readonly why: string } | null;
}

/**
 * The long-running process: follows the three files, folds every complete line into the same
 * projections the batch CLI uses, and publishes snapshots, a checkpoint and alerts.
 * Wiring only: reading lives in io/, folding in pipeline/ and projections/, answers in queries/.
 */
export class Daemon {
  private sources: SourceSet;
  private ingest: Ingest;
  private rebuilds = 0;
  /** Goes true once the start-up catch-up is done: live-only notices (estimate overruns) start there. */
  private live = false;
  private views: { views: WorkflowViews; applied: number; atMs: number; tookMs: number } | null = null;
  private viewsTimer: NodeJS.Timeout | null = null;
  private api: FastifyInstance | null = null;
  private readonly events = new EventStream();
  /** I/O faults met by the sources and the state writers: logged once, counted, shown in health. */
  readonly faults: FaultRegistry;
  private metrics: DaemonMetrics | null = null;
  private activeAlerts = new Map<string, ActiveAlert>();
  private lastEventAt: string | null = null;
  private readonly startedAt: string;
  private changedSinceCheckpoint = false;
  private checkpointInFlight: Promise<void> | null = null;
  private lock: LockHandle | null = null;
  /** start() got past the lock: stop() has state to save. */
  private began = false;
  private watcher: DirWatcher | null = null;
  /** Lines whose fold threw once (`file:offset`): refused on every later read, so a rebuild cannot loop on them. */
  private readonly poisoned = new Set<string>();
  /** An apply threw: the state may be half-changed, so it is rebuilt after the batch. */
  private rebuildWanted: { readonly file: SourceKind; readonly why: string } | null = null;
  /** A live rebuild in progress: the fresh state is built in steps while the last good one is served. */
  private rebuilding: { again: boolean; readonly done: Promise<void> } | null = null;
  private subscriptions: Subscription[] = [];
  /** Files with more to read than one live step: read on at the next turn. */
  private readonly readAgain$ = new Subject<SourceKind>();
  /** The checkpoint's place in the stream (stream mode). */
  private resumeFrom: StreamPosition | null = null;
  private stopOpening: (() => void) | null = null;
  private readonly rejected: StateLog;
  /** Each rejection: its record in rejected.jsonl, and a log line or a count in a summary. */
  private readonly rejections: RejectionReports;
  private readonly alertLog: StateLog;
  private readonly snapshots: LatestWriter;
  private stopped = false;
  private stopRequested = false;
  private lastPerformanceStatsAt = -Infinity;
  /** The last snapshot write failed: snapshot.json is older than the state. */
  private snapshotStale = false;
  /** In stream mode, the stream being followed (null until it is opened, and in file mode). */
  private stream: StreamFeed | null = null;
  /** What the state is of: the telemetry dir, or `nats:<stream>`. */
  private readonly origin: string;

  constructor(
    private readonly settings: DaemonSettings,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = this.isoNow();
    this.faults = new FaultRegistry(log, () => this.isoNow());
    this.origin = settings.nats ? streamOrigin(settings.nats.stream) : settings.dir;
    // Never throw: a full or read-only state dir is a fault, and the records wait for it to clear.
    this.rejected = rejectedLog(settings.stateDir, { faults: this.faults, maxBytes: REJECTED_LOG_MAX_BYTES, generations: REJECTED_LOG_GENERATIONS });
    this.alertLog = alertsLog(settings.stateDir, { faults: this.faults });
    this.rejections = new RejectionReports(log, this.rejected, clock);
    ({ sources: this.sources, ingest: this.ingest } = startFresh(settings.dir, settings.maxLineBytes, this.ingestOptions(), null, 'full', this.faults));
    // A failed write is a fault (logged once, retried by the next request); the last good file stays.
    this.snapshots = new LatestWriter(
      () => this.writeSnapshot(),
      (error) => this.writeFailed(SNAPSHOT_FILE, error),
    );
    // A fault starting or clearing shows in the snapshot at once (not in the middle of a read).
    this.faults.onChange(() => {
      if (this.live && !this.stopped) setImmediate(() => this.snapshots.request());
    });
  }

  /** Asks a starting daemon to stop catching up; `start` then returns without going live. */
  requestStop(): void {
    this.stopRequested = true;
    // A stream still being opened (the server or the stream not there yet) gives up at once.
    this.stopOpening?.();
  }

  private get streamMode(): boolean {
    return Boolean(this.settings.nats);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.settings.stateDir, { recursive: true });
    this.takeLock(true);
    this.began = true;
    this.restore();
    // Serving from the start of the catch-up: /readyz says 503 with the lag until it is done.
    try {
      await this.listen();
    } catch (error) {
      this.lock?.release();
      this.lock = null;
      throw error;
    }
    if (this.settings.nats) {
      const opened = await this.openStream(this.settings.nats);
      if (opened === null) return;
      await this.catchUpStream(opened);
    } else {
      await this.catchUp();
    }
    if (this.stopRequested) return;
    this.evaluateAlerts(true);
    // A state dir that takes no writes now is a fault (retried on every poll), not a failed start.
    await this.writeSnapshot().catch((error: unknown) => this.writeFailed(SNAPSHOT_FILE, error));
    await this.checkpoint();
    this.startLive();
    this.live = true;
    const following = this.settings.nats ? { stream: this.settings.nats.stream } : { dir: this.settings.dir };
    this.log.info({ ...following, state_dir: this.settings.stateDir }, 'daemon ready: following telemetry');
    announceApi(this.settings.stateDir, this.api, { dir: this.settings.nats ? null : this.settings.dir, stream: this.settings.nats?.stream ?? null }, this.log);
  }

  /**
   * One daemon per state dir. A state dir too full or read-only to hold the lock file is a
   * fault, not a reason to stay down: the daemon starts (it can serve, and writes nothing there
   * anyway), and takes the lock on a later poll once the dir takes writes again. Anything else
   * (another daemon holds it) ends the start with its reason.
   */
  private takeLock(startUp: boolean): void {
    if (this.lock !== null) return;
    try {
      this.lock = acquireLock(this.settings.stateDir);
      if (!startUp) this.faults.clear(LOCK_FILE_NAME, 'write');
    } catch (error) {
      if (!(error instanceof LockWriteFailed) || !STATE_DIR_FULL.has(error.code)) {
        if (startUp) throw error;
        this.faults.raise(LOCK_FILE_NAME, 'write', Object.assign(new Error(errorMessage(error)), { code: 'EHELD' }));
        return;
      }
      this.faults.raise(LOCK_FILE_NAME, 'write', error);
    }
  }

  /** The HTTP API, when configured; its address is logged ("http listening"). */
  private async listen(): Promise<void> {
    const address = this.settings.http ?? null;
    if (address === null) return;
    // Each ingest the daemon starts (at a rebuild, a stream reset) numbers the versions anew.
    const epochs = new WeakMap<Ingest, number>();
    let epochCount = 0;
    const ingestEpoch = (ingest: Ingest): number => {
      let epoch = epochs.get(ingest);
      if (epoch === undefined) epochs.set(ingest, (epoch = ++epochCount));
      return epoch;
    };
    this.metrics = new DaemonMetrics({
      state: () => this.ingest.state,
      totals: () => this.ingest.totals,
      lagBytes: () => {
        if (this.streamMode) return { invocations: 0, metrics: 0, workflow_events: 0 };
        this.sources.refreshSizes();
        const lag = (kind: SourceKind) => this.sources.lagBytesOf(kind);
        return { invocations: lag('invocations'), metrics: lag('metrics'), workflow_events: lag('workflow_events') };
      },
      hosts: () => this.stream?.hosts() ?? [],
      activeAlertNames: () => [...this.activeAlerts.values()].map((alert) => alert.alert),
      faults: this.faults,
      overheadWindow: this.settings.alerts.overhead.window,
      rollingWindow: this.settings.rollingWindow,
    });
    this.api = buildApi({
      metrics: this.metrics,
      source: {
        state: () => this.ingest.state,
        snapshot: () => this.snapshot(),
        readiness: () => {
          if (this.streamMode) return { ready: this.live, lag_bytes: 0, lag_messages: this.stream?.lagMessages() ?? null };
          this.sources.refreshSizes();
          return { ready: this.live, lag_bytes: this.sources.lagBytes() };
        },
        faults: () => this.faults.faults(),
        // A rebuild (or a reset in stream mode) replaces the ingest and counts again from 0.
        version: () => this.eventsApplied() + this.ingest.rejectedCount + ingestEpoch(this.ingest) * 1e12,
        clock: this.clock,
      },
      events: this.events,
      token: this.settings.httpToken ?? null,
      log: this.log,
    });
    try {
      await this.api.listen({ host: address.host, port: address.port });
    } catch (error) {
      this.api = null;
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : (error as Error).message;
      throw new Error(`cannot serve HTTP on ${address.host}:${address.port}: ${reason} (choose another with --http HOST:PORT, or --http off)`, { cause: error });
    }
    const bound = this.api.server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    this.log.info({ url: `http://${host}:${port}/`, host: address.host, port, token: this.settings.httpToken ? 'required' : 'none' }, 'http listening');
  }

  /** Final snapshot and checkpoint, then the lock is released. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Stopped before the state was even restored: nothing of ours to save.
    if (!this.began) return;
    for (const s of this.subscriptions) s.unsubscribe();
    if (this.viewsTimer !== null) clearTimeout(this.viewsTimer);
    this.events.close();
    withdrawApi(this.settings.stateDir, this.log);
    await this.api?.close();
    await this.watcher?.close();
    this.stopOpening?.();
    await this.snapshots.flush();
    await this.checkpointInFlight;
    await this.rebuilding?.done;
    // Summaries of what was counted, and a last try at what waits, before their sizes are checkpointed.
    this.rejections.close();
    this.rejected.close();
    this.alertLog.close();
    // Each final write on its own: a full disk for one must not cost the others, nor the exit.
    const snapshot = this.snapshot();
    const written = [
      this.finalWrite(SNAPSHOT_FILE, () => writeFileAtomicSync(path.join(this.settings.stateDir, SNAPSHOT_FILE), stringifyJson(snapshot))),
      this.finalWrite(PERFORMANCE_STATS_FILE, () =>
        writeFileAtomicSync(this.performanceStatsPath(), stringifyJson({ generated_at: snapshot.generated_at, ...q.stats(this.ingest.state) })),
      ),
      this.finalWrite(CHECKPOINT_FILE, () => this.checkpointSync()),
    ];
    await this.stream?.close();
    this.lock?.release();
    if (written.every(Boolean)) this.log.info({ events_applied: this.eventsApplied() }, 'daemon stopped: final snapshot and checkpoint written');
    else this.log.error({ events_applied: this.eventsApplied(), faults: this.faults.faults() }, 'daemon stopped: some final files could not be written (the last good ones stay)');
  }

  private ingestOptions(): IngestOptions {
    return {
      maxLineBytes: this.settings.maxLineBytes,
      onEvent: (event) => {
        if (this.live && this.rebuilding === null && event.kind === 'workflow_complete') this.checkEstimate(event.workflowId, event.durationSeconds);
      },
      onRejection: (rejection, bytes, whole) => this.rejections.report(rejection, bytes, whole),
    };
  }

  /** A workflow that completes live at more than OVERRUN_RATIO times its estimate: one info line. */
  private checkEstimate(workflowId: string, actualSeconds: number): void {
    const state = this.ingest.state;
    const ref = state.ledger.table.workflows.find(workflowId);
    const estimate = ref < 0 ? NaN : state.details.estimate.get(ref);
    if (!(estimate > 0) || !(actualSeconds / estimate > OVERRUN_RATIO)) return;
    this.log.info(
      {
        alert: 'estimate_overrun',
        workflow_id: workflowId,
        project: projectOf(state.details, ref),
        estimate_seconds: estimate,
        actual_seconds: actualSeconds,
        ratio: pyRound(actualSeconds / estimate, 3), // as the estimates view rounds it
      },
      'alert: estimate_overrun',
    );
  }

  /** The workflow views, recomputed when the state moved and the last ones are old enough. */
  private currentWorkflowViews(nowMs: number): WorkflowViews {
    const applied = this.eventsApplied() + this.rebuilds * 1e12;
    const cached = this.views;
    if (cached !== null && cached.applied === applied) return cached.views;
    const interval = cached === null ? 0 : Math.max(WORKFLOW_VIEWS_INTERVAL_MS, cached.tookMs / WORKFLOW_VIEWS_MAX_SHARE);
    const due = cached === null || this.stopped || nowMs - cached.atMs >= interval;
    if (!due) {
      // Stale for now: come back when they may be recomputed, so the last change is not left out.
      if (this.viewsTimer === null) {
        this.viewsTimer = setTimeout(() => {
          this.viewsTimer = null;
          this.snapshots.request();
        }, interval - (nowMs - cached.atMs));
      }
      return cached.views;
    }
    const began = performance.now();
    const views = workflowViews(this.ingest.state, nowMs * 1000, this.settings.snapshotListLimit, this.settings.alerts.overhead.thresholdPct);
    this.views = { views, applied, atMs: nowMs, tookMs: performance.now() - began };
    return views;
  }

  /** Continues from the checkpoint when it matches the files (or the stream); otherwise starts from scratch. */
  private restore(): void {
    const resumed = resume(this.settings.stateDir, this.origin, this.settings.maxLineBytes, this.ingestOptions(), 'full', this.faults);
    this.sources = resumed.sources;
    this.ingest = resumed.ingest;
    const cp = resumed.checkpoint;
    if (cp === null) {
      this.log.info({ reason: resumed.why }, this.streamMode ? 'starting from the beginning of the stream' : 'starting from the beginning of the files');
      this.rejected.truncateTo(0);
      return;
    }
    this.rebuilds = cp.rebuilds;
    this.resumeFrom = cp.stream ?? null;
    this.activeAlerts = new Map(cp.activeAlerts.map((a) => [a.key, a]));
    // Lines after the checkpoint are read again: cut what was logged for them.
    this.rejected.truncateTo(cp.rejectedFileSize, cp.rejectedFileId ?? null);
    this.alertLog.truncateTo(cp.alertsFileSize);
    this.log.info({ saved_at: cp.savedAt, events_applied: this.eventsApplied() }, 'resuming from checkpoint');
  }

  /**
   * Stream mode: connects (waiting for the server and the stream while they are not there) and
   * starts pulling after the checkpoint's sequence. Null when a stop was asked meanwhile.
   */
  private async openStream(nats: NonNullable<DaemonSettings['nats']>): Promise<StreamFeed | null> {
    const cancelled = new Promise<null>((resolve) => (this.stopOpening = () => resolve(null)));
    let waiting = false;
    for (;;) {
      if (this.stopRequested) return null;
      try {
        const connecting = connectNats(nats.url);
        const nc = await Promise.race([connecting, cancelled]);
        if (nc === null) {
          // Cancelled first: a connection that still comes is closed, not left reconnecting.
          void connecting.then((late) => late.close()).catch(() => undefined);
          return null;
        }
        try {
          const feed = await StreamFeed.open(nc, { stream: nats.stream, durable: nats.consumer, from: this.resumeFrom, log: this.log, faults: this.faults });
          if (this.stopRequested) {
            await feed.close();
            return null;
          }
          if (feed.reset !== null) {
            this.log.warn({ why: feed.reset }, 'the checkpoint does not fit the stream: starting from its first message');
            this.resumeFrom = null;
            this.rejected.truncateTo(0);
            ({ sources: this.sources, ingest: this.ingest } = startFresh(this.origin, this.settings.maxLineBytes, this.ingestOptions(), null, 'full', this.faults));
          }
          this.stream = feed;
          this.log.info({ nats: nats.url, stream: nats.stream, consumer: nats.consumer, from_seq: feed.position().seq, last_seq: feed.target }, 'following the stream');
          return feed;
        } catch (error) {
          await nc.close().catch(() => undefined);
          throw error;
        }
      } catch (error) {
        if (!waiting) this.log.warn({ nats: nats.url, stream: nats.stream, err: error }, 'waiting for NATS and the stream');
        waiting = true;
        if ((await Promise.race([new Promise((resolve) => setTimeout(() => resolve(true), 1000)), cancelled])) === null) return null;
      }
    }
  }

  /** Stream mode's start-up: applies everything the stream held when it was opened. */
  private async catchUpStream(feed: StreamFeed): Promise<void> {
    const began = this.clock();
    let lastLog = began;
    const proceed = () => {
      if (this.clock() - lastLog >= 1000) {
        lastLog = this.clock();
        this.log.info({ events_applied: this.eventsApplied(), lag_messages: feed.lagMessages() }, 'catching up');
      }
      return !this.stopRequested;
    };
    await feed.catchUp((kind, line) => this.apply(kind, line), proceed, 50_000);
    this.changedSinceCheckpoint = true;
    this.log.info({ events_applied: this.eventsApplied(), lines_rejected: this.ingest.rejectedCount, seq: feed.position().seq, ms: this.clock() - began }, 'caught up');
  }

  private rebuild(file: SourceKind, why: string): void {
    this.rebuilds++;
    this.log.warn({ file: SOURCE_FILES[file], why, rebuilds: this.rebuilds }, 'a file changed other than by appending: rebuilding from the files');
    this.rejected.truncateTo(0);
    ({ sources: this.sources, ingest: this.ingest } = startFresh(this.settings.dir, this.settings.maxLineBytes, this.ingestOptions(), null, 'full', this.faults));
  }

  /**
   * Folds one line. A fold that throws (a bug, never bad input: decoding refuses that first) is
   * caught here with its file and offset: logged, counted as a fault and as a rejected line, and
   * the state, which may be half-changed, is rebuilt after the batch without that line.
   */
  private apply(kind: SourceKind, line: RawLine, ingest: Ingest = this.ingest): void {
    const key = `${kind}:${line.byteOffset}`;
    if (this.poisoned.size > 0 && this.poisoned.has(key)) {
      ingest.refuse(kind, line, 'internal error while applying this line (see the daemon log)');
      return;
    }
    try {
      ingest.line(kind, line);
    } catch (error) {
      // Files are read again by a rebuild, which must leave the line out; a stream is not.
      if (!this.streamMode) this.poisoned.add(key);
      const file = SOURCE_FILES[kind];
      this.log.error({ file, line: line.line, byte_offset: line.byteOffset, err: error }, 'applying a line failed: the state is rebuilt without it');
      this.faults.raise(file, 'apply', Object.assign(new Error(`line ${line.line} at byte ${line.byteOffset}: ${errorMessage(error)}`), { code: 'EAPPLY' }));
      // A stream cannot be read again from here: there the line stays out and the state goes on.
      if (!this.streamMode) this.rebuildWanted ??= { file: kind, why: `applying line ${line.line} failed` };
    }
  }

  /** After a batch: the rebuild an apply failure asked for, if any. True if one ran. */
  private rebuildIfWanted(): boolean {
    const wanted = this.rebuildWanted;
    if (wanted === null) return false;
    this.rebuildWanted = null;
    this.rebuild(wanted.file, wanted.why);
    return true;
  }

  /** Start-up: reads everything present, in steps, logging progress. */
  private async catchUp(): Promise<void> {
    const began = this.clock();
    let lastLog = began;
    for (;;) {
      const outcome = this.sources.readAll((kind, line) => this.apply(kind, line), CATCH_UP_STEP_BYTES);
      if (outcome.kind === 'rewritten') {
        this.rebuild(outcome.file, outcome.why);
        continue;
      }
      if (this.rebuildIfWanted()) continue;
      if (!outcome.more || this.stopRequested) break;
      if (this.clock() - lastLog >= 1000) {
        lastLog = this.clock();
        this.log.info({ events_applied: this.eventsApplied(), lag_bytes: this.sources.lagBytes() }, 'catching up');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.changedSinceCheckpoint = true;
    this.log.info({ events_applied: this.eventsApplied(), lines_rejected: this.ingest.rejectedCount, ms: this.clock() - began }, 'caught up');
  }

  private readBatch(kinds: readonly SourceKind[]): LineBatch {
    const lines: Array<readonly [SourceKind, RawLine]> = [];
    // A rebuild reads the files itself; what was appended meanwhile is read once it is done.
    if (this.rebuilding !== null) return { lines, rewritten: null };
    for (const kind of kinds) {
      const outcome = this.sources.read(kind, (k, line) => lines.push([k, line]), LIVE_READ_BUDGET);
      if (outcome.kind === 'rewritten') return { lines: [], rewritten: { file: outcome.file, why: outcome.why } };
      // More than one step waits: read on at the next turn of the event loop.
      if (outcome.more) setImmediate(() => this.readAgain$.next(kind));
    }
    return { lines, rewritten: null };
  }

  /**
   * The live pipeline: change signals (file events, or messages from the stream) -> apply ->
   * snapshots, alerts, checkpoints. Every callback is guarded and every subscription has an
   * error path: an exception is logged and counted, and the pipeline is started again.
   */
  private startLive(): void {
    const polls$ = interval(this.settings.pollIntervalMs).pipe(share());
    const applied$ = this.stream !== null ? this.streamChanges(this.stream, polls$) : this.fileChanges(polls$);
    const changed$ = applied$.pipe(
      filter((changed) => changed),
      map(() => {
        this.lastEventAt = this.isoNow();
        this.changedSinceCheckpoint = true;
      }),
      share(),
    );
    const publish$ = changed$.pipe(throttleTime(this.settings.snapshotIntervalMs, asyncScheduler, { leading: true, trailing: true }));
    const onError = (what: string) => (error: unknown) => this.pipelineFailed(what, error);
    this.subscriptions.push(
      publish$.subscribe({
        next: () =>
          this.guard('publish', () => {
            this.evaluateAlerts(false);
            this.snapshots.request();
          }),
        error: onError('apply'),
      }),
      // Time alone can fire an alert (a workflow open too long), so evaluate on every poll too.
      polls$.subscribe({
        next: () =>
          this.guard('poll', () => {
            this.takeLock(false);
            // A snapshot that failed to be written is tried again on each poll, changes or not.
            if (this.evaluateAlerts(false) || this.snapshotStale) this.snapshots.request();
          }),
        error: onError('poll'),
      }),
      interval(this.settings.checkpointIntervalMs).subscribe({
        next: () => {
          if (this.changedSinceCheckpoint) void this.checkpoint();
        },
        error: onError('checkpoint timer'),
      }),
    );
  }

  /** Runs one callback of the live pipeline; an exception is logged and counted, never unwinds the stream. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log.error({ err: error, in: what }, `unexpected error in the live pipeline (${what}); it goes on`);
      this.faults.raise('daemon', what, Object.assign(new Error(errorMessage(error)), { code: 'EINTERNAL' }));
    }
  }

  /** A subscription ended in error despite the guards: logged, then the live pipeline starts again. */
  private pipelineFailed(what: string, error: unknown): void {
    if (this.stopped) return;
    this.log.error({ err: error, in: what }, 'the live pipeline failed: restarting it');
    this.faults.raise('daemon', 'pipeline', Object.assign(new Error(errorMessage(error)), { code: 'EINTERNAL' }));
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    void this.watcher?.close();
    this.watcher = null;
    setImmediate(() => {
      if (!this.stopped) this.startLive();
    });
  }

  /** Stream mode: whatever arrived, applied in stream order; emits whether anything was. */
  private streamChanges(feed: StreamFeed, polls$: Observable<number>): Observable<boolean> {
    return merge(feed.arrivals$, polls$).pipe(
      map(() => {
        let applied = 0;
        this.guard('apply', () => {
          applied = feed.drain((kind, line) => this.apply(kind, line));
        });
        return applied > 0;
      }),
    );
  }

  /** File mode: per-file change signals (chokidar, follow-up reads, the safety poll) -> line batches -> scan(apply). */
  private fileChanges(polls$: Observable<number>): Observable<boolean> {
    const changes$ = new Subject<SourceKind>();
    const perFile: Array<Observable<LineBatch>> = SOURCE_KINDS.map((kind) => {
      const events$ = changes$.pipe(filter((k) => k === kind));
      const again$ = this.readAgain$.pipe(filter((k) => k === kind));
      return merge(events$, followUps(events$), again$, polls$).pipe(map(() => this.readBatch([kind])));
    });
    // scan folds each batch with the same apply the batch replay uses; it emits whether the batch changed anything.
    const applied$ = merge(...perFile).pipe(
      scan((_changed: boolean, batch: LineBatch) => {
        let changed = false;
        this.guard('apply', () => {
          if (batch.rewritten !== null) this.rebuildLive(batch.rewritten.file, batch.rewritten.why);
          for (const [kind, line] of batch.lines) this.apply(kind, line);
          changed = batch.lines.length > 0;
        });
        const wanted = this.rebuildWanted;
        this.rebuildWanted = null;
        if (wanted !== null) this.rebuildLive(wanted.file, wanted.why);
        return changed;
      }, false),
    );
    const watched = new Map(SOURCE_KINDS.map((kind) => [path.resolve(this.sources.pathOf(kind)), kind] as const));
    this.watcher = new DirWatcher(this.settings.dir, watched, (kind) => changes$.next(kind as SourceKind), this.faults);
    this.watcher.start();
    return applied$;
  }

  /**
   * A file changed other than by appending, live: the state is built again from the files in
   * steps (the event loop stays free: a rewritten file may be huge), while the last good state
   * goes on being served; the fresh one takes its place once it has read everything. Live reads
   * wait meanwhile. Another rewrite seen during the rebuild starts it over.
   */
  private rebuildLive(file: SourceKind, why: string): void {
    this.rebuilds++;
    this.log.warn({ file: SOURCE_FILES[file], why, rebuilds: this.rebuilds }, 'a file changed other than by appending: rebuilding from the files');
    if (this.rebuilding !== null) {
      this.rebuilding.again = true;
      return;
    }
    const task = { again: false, done: Promise.resolve() };
    this.rebuilding = task;
    task.done = this.runRebuild(task)
      .catch((error: unknown) => this.pipelineFailed('rebuild', error))
      .finally(() => {
        this.rebuilding = null;
        // Whatever was appended meanwhile is read now.
        if (!this.stopped) for (const kind of SOURCE_KINDS) this.readAgain$.next(kind);
      });
  }

  private async runRebuild(task: { again: boolean }): Promise<void> {
    for (;;) {
      task.again = false;
      const fresh = startFresh(this.settings.dir, this.settings.maxLineBytes, this.ingestOptions(), null, 'full', this.faults);
      // rejected.jsonl follows the fresh read from its first line.
      this.rejected.truncateTo(0);
      for (;;) {
        if (this.stopped) return;
        const outcome = fresh.sources.readAll((kind, line) => this.apply(kind, line, fresh.ingest), LIVE_READ_BUDGET);
        if (outcome.kind === 'rewritten' || this.rebuildWanted !== null) {
          this.rebuildWanted = null;
          task.again = true;
          break;
        }
        if (!outcome.more) break;
        await new Promise((resolve) => setImmediate(resolve));
        if (task.again) break;
      }
      if (task.again) continue;
      this.sources = fresh.sources;
      this.ingest = fresh.ingest;
      this.changedSinceCheckpoint = true;
      this.log.info({ events_applied: this.eventsApplied(), lines_rejected: this.ingest.rejectedCount }, 'rebuilt from the files');
      this.snapshots.request();
      return;
    }
  }

  /** Updates the active alerts; logs each raise and resolve once. Returns whether anything changed. */
  private evaluateAlerts(startUp: boolean): boolean {
    const nowUs = this.clock() * 1000;
    const result = transition(this.activeAlerts, checkAlerts(this.ingest.state, this.settings.alerts, nowUs), formatTimestampUs(nowUs));
    this.activeAlerts = new Map(result.active);
    for (const alert of result.raised) {
      this.log.warn({ alert: alert.alert, key: alert.key, ...alert.details, start_up: startUp || undefined }, `alert: ${alert.alert}`);
      this.alertLog.append({ at: alert.since, event: 'raised', ...alert });
      this.events.alert('alert', stringifyJson(alert));
    }
    for (const alert of result.resolved) {
      this.log.info({ alert: alert.alert, key: alert.key, resolved: true, ...alert.details }, `resolved: ${alert.alert}`);
      this.alertLog.append({ at: formatTimestampUs(nowUs), event: 'resolved', ...alert });
      this.events.alert('resolved', stringifyJson({ ...alert, resolved_at: formatTimestampUs(nowUs) }));
    }
    return result.raised.length > 0 || result.resolved.length > 0;
  }

  private eventsApplied(): number {
    const p = this.ingest.totals.perSource;
    return p.invocations.applied + p.metrics.applied + p.workflow_events.applied;
  }

  private isoNow(): string {
    return formatTimestampUs(this.clock() * 1000);
  }

  snapshot() {
    const stream = this.stream;
    if (!this.streamMode) this.sources.refreshSizes();
    const nowMs = this.clock();
    return buildSnapshot({
      state: this.ingest.state,
      nowUs: nowMs * 1000,
      workflowViews: this.currentWorkflowViews(nowMs),
      overheadAlert: { window: this.settings.alerts.overhead.window, thresholdPct: this.settings.alerts.overhead.thresholdPct },
      dir: this.origin,
      sources: this.streamMode ? null : this.sources.statuses(),
      health: {
        events_applied: this.eventsApplied(),
        lines_rejected: this.ingest.rejectedCount,
        lag_bytes: this.streamMode ? 0 : this.sources.lagBytes(),
        ...(this.settings.nats ? { stream: this.streamHealth(this.settings.nats.stream, stream) } : {}),
        last_event_at: this.lastEventAt,
        started_at: this.startedAt,
        rebuilds: this.rebuilds,
        faults: this.faults.faults(),
      },
      alerts: this.activeAlerts.values(),
      listLimit: this.settings.snapshotListLimit,
      rollingWindow: this.settings.rollingWindow,
    });
  }

  /** Where the daemon stands in the stream, and per host the last event and what waits. */
  private streamHealth(name: string, feed: StreamFeed | null) {
    const position = feed?.position() ?? this.resumeFrom;
    const hosts = feed?.hosts() ?? (position?.hosts ?? []).map((h) => ({ host: h.host, messages: h.messages, last_event_at: h.lastEventAt, lag_messages: 0 }));
    return { name, seq: position?.seq ?? 0, lag_messages: feed?.lagMessages() ?? 0, hosts };
  }

  private async writeSnapshot(): Promise<void> {
    const began = performance.now();
    const snapshot = this.snapshot();
    const text = stringifyJson(snapshot);
    this.events.snapshot(text);
    // Both files are derived from the state and rewritten after a restart: atomic but not
    // fsynced, so a snapshot does not wait for the disk (the fsyncs were most of its ~10 ms).
    const writes = [replaceFileAtomic(path.join(this.settings.stateDir, SNAPSHOT_FILE), text)];
    // performance_stats.json lives in the watched telemetry dir, where each rewrite makes the
    // watcher rescan the dir: at most once a second (and always at shutdown).
    if (this.stopped || this.clock() - this.lastPerformanceStatsAt >= PERFORMANCE_STATS_INTERVAL_MS) {
      this.lastPerformanceStatsAt = this.clock();
      writes.push(this.writePerformanceStats(snapshot.generated_at));
    }
    await Promise.all(writes);
    this.snapshotStale = false;
    this.faults.clear(SNAPSHOT_FILE, 'write');
    this.metrics?.snapshotWritten((performance.now() - began) / 1000);
  }

  /** Its own fault: a read-only telemetry dir must not stop the snapshots in the state dir. */
  private async writePerformanceStats(generatedAt: string): Promise<void> {
    const stats = { generated_at: generatedAt, ...q.stats(this.ingest.state) };
    try {
      await replaceFileAtomic(this.performanceStatsPath(), stringifyJson(stats));
      this.faults.clear(PERFORMANCE_STATS_FILE, 'write');
    } catch (error) {
      this.faults.raise(PERFORMANCE_STATS_FILE, 'write', error);
    }
  }

  /** Beside the telemetry files, as the reference writes it; in stream mode, in the state dir. */
  private performanceStatsPath(): string {
    return path.join(this.streamMode ? this.settings.stateDir : this.settings.dir, PERFORMANCE_STATS_FILE);
  }

  private checkpointData() {
    return {
      dir: this.origin,
      positions: this.sources.positions(),
      // Not opened yet (stopped while waiting for NATS): the position restored stays.
      stream: this.stream?.position() ?? this.resumeFrom,
      totals: this.ingest.totals,
      rebuilds: this.rebuilds,
      rejectedFileSize: this.rejected.size(),
      rejectedFileId: this.rejected.fileId(),
      alertsFileSize: this.alertLog.size(),
      activeAlerts: [...this.activeAlerts.values()],
      savedAt: this.isoNow(),
      state: this.ingest.state,
    };
  }

  private checkpoint(): Promise<void> {
    if (this.checkpointInFlight !== null) return this.checkpointInFlight;
    this.changedSinceCheckpoint = false;
    this.checkpointInFlight = saveCheckpoint(this.settings.stateDir, this.checkpointData())
      .then(() => this.faults.clear(CHECKPOINT_FILE, 'write'))
      .catch((error: unknown) => {
        // Logged once while it lasts; the next interval tries again, and nothing applied is lost.
        this.changedSinceCheckpoint = true;
        this.writeFailed(CHECKPOINT_FILE, error);
      })
      .finally(() => {
        this.checkpointInFlight = null;
      });
    return this.checkpointInFlight;
  }

  /** A state-dir write failed: a fault; a state dir removed under us is made again for the next try. */
  private writeFailed(file: string, error: unknown): void {
    this.faults.raise(file, 'write', error);
    if (file === SNAPSHOT_FILE) this.snapshotStale = true;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    try {
      fs.mkdirSync(this.settings.stateDir, { recursive: true });
    } catch {
      // Still faulted: the next write tries again.
    }
  }

  /** One of stop()'s writes: false (and a fault) when it failed. */
  private finalWrite(file: string, write: () => void): boolean {
    try {
      write();
      this.faults.clear(file, 'write');
      return true;
    } catch (error) {
      this.faults.raise(file, 'write', error);
      return false;
    }
  }

  private checkpointSync(): void {
    saveCheckpointSync(this.settings.stateDir, this.checkpointData());
  }
}
