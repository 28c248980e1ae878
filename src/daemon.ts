import fs from 'node:fs';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { asyncScheduler, filter, interval, map, merge, type Observable, scan, share, Subject, type Subscription, switchMap, take, throttleTime } from 'rxjs';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from './domain/sources.js';
import { stringifyJson } from './domain/jsonText.js';
import { formatTimestampUs } from './domain/time.js';
import { pyRound } from './domain/pyRound.js';
import { saveCheckpoint, saveCheckpointSync } from './io/checkpointStore.js';
import { resume, startFresh } from './io/resume.js';
import { replaceFileAtomic, writeFileAtomicSync } from './io/atomicFile.js';
import { LatestWriter } from './io/latestWriter.js';
import { acquireLock, type LockHandle } from './io/lockFile.js';
import type { SourceSet } from './io/sourceSet.js';
import { alertsLog, rejectedLog, rejectedRecord, type StateLog } from './io/stateLogs.js';
import type { Logger } from './log.js';
import { FaultRegistry } from './io/faults.js';
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
  private watcher: FSWatcher | null = null;
  private subscriptions: Subscription[] = [];
  /** The checkpoint's place in the stream (stream mode). */
  private resumeFrom: StreamPosition | null = null;
  private stopOpening: (() => void) | null = null;
  private readonly rejected: StateLog;
  private readonly alertLog: StateLog;
  private readonly snapshots: LatestWriter;
  private stopped = false;
  private stopRequested = false;
  private lastPerformanceStatsAt = -Infinity;
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
    this.rejected = rejectedLog(settings.stateDir);
    this.alertLog = alertsLog(settings.stateDir);
    ({ sources: this.sources, ingest: this.ingest } = startFresh(settings.dir, settings.maxLineBytes, this.ingestOptions()));
    this.snapshots = new LatestWriter(
      () => this.writeSnapshot(),
      (error) => this.log.error({ err: error }, 'snapshot write failed'),
    );
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
    this.lock = acquireLock(this.settings.stateDir);
    this.restore();
    // Serving from the start of the catch-up: /readyz says 503 with the lag until it is done.
    try {
      await this.listen();
    } catch (error) {
      this.lock.release();
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
    await this.writeSnapshot();
    await this.checkpoint();
    this.startLive();
    this.live = true;
    const following = this.settings.nats ? { stream: this.settings.nats.stream } : { dir: this.settings.dir };
    this.log.info({ ...following, state_dir: this.settings.stateDir }, 'daemon ready: following telemetry');
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
    if (this.lock === null) return;
    for (const s of this.subscriptions) s.unsubscribe();
    if (this.viewsTimer !== null) clearTimeout(this.viewsTimer);
    this.events.close();
    await this.api?.close();
    await this.watcher?.close();
    this.stopOpening?.();
    await this.snapshots.flush();
    await this.checkpointInFlight;
    const snapshot = this.snapshot();
    writeFileAtomicSync(path.join(this.settings.stateDir, SNAPSHOT_FILE), stringifyJson(snapshot));
    writeFileAtomicSync(this.performanceStatsPath(), stringifyJson({ generated_at: snapshot.generated_at, ...q.stats(this.ingest.state) }));
    this.checkpointSync();
    await this.stream?.close();
    this.lock?.release();
    this.log.info({ events_applied: this.eventsApplied() }, 'daemon stopped: final snapshot and checkpoint written');
  }

  private ingestOptions(): IngestOptions {
    return {
      maxLineBytes: this.settings.maxLineBytes,
      onEvent: (event) => {
        if (this.live && event.kind === 'workflow_complete') this.checkEstimate(event.workflowId, event.durationSeconds);
      },
      onRejection: (rejection, bytes, whole) => {
        this.rejected.append(rejectedRecord(rejection, bytes, whole, this.isoNow()));
        this.log.warn({ file: SOURCE_FILES[rejection.file], line: rejection.line, byte_offset: rejection.byteOffset, reason: rejection.reason }, 'line rejected');
      },
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
    const resumed = resume(this.settings.stateDir, this.origin, this.settings.maxLineBytes, this.ingestOptions());
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
    this.rejected.truncateTo(cp.rejectedFileSize);
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
          const feed = await StreamFeed.open(nc, { stream: nats.stream, durable: nats.consumer, from: this.resumeFrom, log: this.log });
          if (this.stopRequested) {
            await feed.close();
            return null;
          }
          if (feed.reset !== null) {
            this.log.warn({ why: feed.reset }, 'the checkpoint does not fit the stream: starting from its first message');
            this.resumeFrom = null;
            this.rejected.truncateTo(0);
            ({ sources: this.sources, ingest: this.ingest } = startFresh(this.origin, this.settings.maxLineBytes, this.ingestOptions()));
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
    ({ sources: this.sources, ingest: this.ingest } = startFresh(this.settings.dir, this.settings.maxLineBytes, this.ingestOptions()));
  }

  private apply(kind: SourceKind, line: RawLine): void {
    this.ingest.line(kind, line);
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
    for (const kind of kinds) {
      const outcome = this.sources.read(kind, (k, line) => lines.push([k, line]));
      if (outcome.kind === 'rewritten') return { lines: [], rewritten: { file: outcome.file, why: outcome.why } };
    }
    return { lines, rewritten: null };
  }

  /**
   * The live pipeline: change signals (file events, or messages from the stream) -> apply ->
   * snapshots, alerts, checkpoints.
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
    this.subscriptions.push(
      publish$.subscribe(() => {
        this.evaluateAlerts(false);
        this.snapshots.request();
      }),
      // Time alone can fire an alert (a workflow open too long), so evaluate on every poll too.
      polls$.subscribe(() => {
        if (this.evaluateAlerts(false)) this.snapshots.request();
      }),
      interval(this.settings.checkpointIntervalMs).subscribe(() => {
        if (this.changedSinceCheckpoint) void this.checkpoint();
      }),
    );
  }

  /** Stream mode: whatever arrived, applied in stream order; emits whether anything was. */
  private streamChanges(feed: StreamFeed, polls$: Observable<number>): Observable<boolean> {
    return merge(feed.arrivals$, polls$).pipe(map(() => feed.drain((kind, line) => this.apply(kind, line)) > 0));
  }

  /** File mode: per-file change signals (chokidar, follow-up reads, the safety poll) -> line batches -> scan(apply). */
  private fileChanges(polls$: Observable<number>): Observable<boolean> {
    const changes$ = new Subject<SourceKind>();
    const perFile: Array<Observable<LineBatch>> = SOURCE_KINDS.map((kind) => {
      const events$ = changes$.pipe(filter((k) => k === kind));
      return merge(events$, followUps(events$), polls$).pipe(map(() => this.readBatch([kind])));
    });
    // scan folds each batch with the same apply the batch replay uses; it emits whether the batch changed anything.
    const applied$ = merge(...perFile).pipe(
      scan((_changed: boolean, batch: LineBatch) => {
        if (batch.rewritten !== null) {
          this.rebuild(batch.rewritten.file, batch.rewritten.why);
          this.readAllNow();
        }
        for (const [kind, line] of batch.lines) this.apply(kind, line);
        return batch.rewritten !== null || batch.lines.length > 0;
      }, false),
    );
    const watched = new Map(SOURCE_KINDS.map((kind) => [path.resolve(this.sources.pathOf(kind)), kind] as const));
    this.watcher = chokidar.watch(this.settings.dir, {
      ignoreInitial: true,
      depth: 0,
      ignored: (p: string) => path.resolve(p) !== path.resolve(this.settings.dir) && !watched.has(path.resolve(p)),
    });
    this.watcher.on('all', (_event, p) => {
      const kind = watched.get(path.resolve(p));
      if (kind !== undefined) changes$.next(kind);
    });
    this.watcher.on('error', (error) => this.log.error({ err: error }, 'watcher error; the safety poll continues'));
    return applied$;
  }

  /** After a rebuild: everything present now, read at once (the files are usually small then). */
  private readAllNow(): void {
    // The files are history again: their overruns were noticed when they completed (or were
    // read at start-up), so the re-read must not announce every one of them a second time.
    this.live = false;
    try {
      for (;;) {
        const outcome = this.sources.readAll((kind, line) => this.apply(kind, line));
        if (outcome.kind !== 'rewritten') return;
        this.rebuild(outcome.file, outcome.why);
      }
    } finally {
      this.live = true;
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
    this.metrics?.snapshotWritten((performance.now() - began) / 1000);
  }

  private writePerformanceStats(generatedAt: string): Promise<void> {
    const stats = { generated_at: generatedAt, ...q.stats(this.ingest.state) };
    return replaceFileAtomic(this.performanceStatsPath(), stringifyJson(stats));
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
      .catch((error: unknown) => {
        this.changedSinceCheckpoint = true;
        this.log.error({ err: error }, 'checkpoint write failed');
      })
      .finally(() => {
        this.checkpointInFlight = null;
      });
    return this.checkpointInFlight;
  }

  private checkpointSync(): void {
    saveCheckpointSync(this.settings.stateDir, this.checkpointData());
  }
}
