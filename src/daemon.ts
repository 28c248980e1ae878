import fs from 'node:fs';
import { formatTimestampUs } from './domain/time.js';
import type { Checkpoint } from './io/checkpointStore.js';
import { restoreState } from './io/resume.js';
import { alertsLog, REJECTED_LOG_GENERATIONS, REJECTED_LOG_MAX_BYTES, rejectedLog, type StateLog } from './io/stateLogs.js';
import { announceApi, withdrawApi } from './daemon/apiRecord.js';
import { FaultRegistry } from './io/faults.js';
import { LivePipeline } from './daemon/livePipeline.js';
import type { Logger } from './log.js';
import { Alerting } from './daemon/alerting.js';
import { Checkpointer } from './daemon/checkpointer.js';
import { DaemonFold } from './daemon/daemonFold.js';
import { serveHttp, type ServedHttp } from './daemon/httpServer.js';
import { RejectionReports } from './daemon/rejectionReports.js';
import { SnapshotPublisher } from './daemon/snapshotPublisher.js';
import { StateDirLock } from './daemon/stateDirLock.js';
import { StateDirWrites } from './daemon/stateDirWrites.js';
import type { TelemetryEvent } from './domain/events.js';
import type { AlertSettings } from './queries/alerts.js';
import { buildSnapshot, type Snapshot, type WorkflowViews } from './queries/snapshot.js';
import { EventStream } from './http/eventStream.js';
import type { ListenAddress } from './http/listenAddress.js';
import { FileSource } from './sources/fileSource.js';
import type { Source } from './sources/source.js';
import { StreamSource } from './sources/streamSource.js';
import { streamOrigin } from './domain/streamPosition.js';

export { PERFORMANCE_STATS_FILE, SNAPSHOT_FILE } from './daemon/snapshotPublisher.js';

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

/**
 * The long-running process, as a lifecycle: restore the state from the checkpoint, catch up on
 * the source (the files, or the stream), then follow it, folding every line into the same
 * projections the batch CLI uses, and publish snapshots, alerts and checkpoints. Each of those
 * jobs is a module of src/daemon/; reading is the source's (src/sources/).
 */
export class Daemon {
  /** I/O faults met by the source and the state writers: logged once, counted, shown in health. */
  readonly faults: FaultRegistry;
  private readonly events = new EventStream();
  private readonly rejected: StateLog;
  private readonly alertLog: StateLog;
  private readonly rejections: RejectionReports;
  private readonly alerting: Alerting;
  private readonly writes: StateDirWrites;
  private readonly checkpointer: Checkpointer;
  private readonly snapshots: SnapshotPublisher;
  private readonly lock: StateDirLock;
  private readonly fold: DaemonFold;
  private source: Source;
  private http: ServedHttp | null = null;
  private pipeline: LivePipeline | null = null;
  private readonly startedAt: string;
  private lastEventAt: string | null = null;
  /** Goes true once the start-up catch-up is done: live-only notices (estimate overruns) start there. */
  private live = false;
  /** start() got past the lock: stop() has state to save. */
  private began = false;
  private stopped = false;
  private stopRequested = false;
  /** Called when the daemon must end on its own (another daemon took its state dir). */
  onFatal: (why: string) => void = () => undefined;

  constructor(
    private readonly settings: DaemonSettings,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = this.isoNow();
    this.faults = new FaultRegistry(log, () => this.isoNow());
    // Never throw: a full or read-only state dir is a fault, and the records wait for it to clear.
    this.rejected = rejectedLog(settings.stateDir, { faults: this.faults, maxBytes: REJECTED_LOG_MAX_BYTES, generations: REJECTED_LOG_GENERATIONS });
    this.alertLog = alertsLog(settings.stateDir, { faults: this.faults });
    this.rejections = new RejectionReports(log, this.rejected, clock);
    this.alerting = new Alerting(settings.alerts, log, this.alertLog, this.events);
    this.writes = new StateDirWrites(settings.stateDir, this.faults);
    this.checkpointer = new Checkpointer(settings.stateDir, () => this.checkpointData(), this.writes, () => this.logsPending());
    this.lock = new StateDirLock(settings.stateDir, this.faults, log, () => this.onFatal('another daemon took the state dir'));
    const onEvent = (event: TelemetryEvent) => {
      if (this.live && !this.fold.rebuilding && event.kind === 'workflow_complete') {
        this.alerting.checkEstimate(this.fold.ingest.state, event.workflowId, event.durationSeconds, this.clock() * 1000);
      }
    };
    const restored = restoreState(settings.stateDir, this.origin(), settings.maxLineBytes, DaemonFold.ingestOptions(settings.maxLineBytes, this.rejections, onEvent));
    this.fold = new DaemonFold(restored.ingest, {
      maxLineBytes: settings.maxLineBytes,
      log,
      faults: this.faults,
      rejected: this.rejected,
      rejections: this.rejections,
      rereadable: !settings.nats,
      onEvent,
      onAdopted: () => {
        this.checkpointer.markChanged();
        if (this.live) this.snapshots.request();
      },
    });
    const cp = restored.checkpoint;
    this.source = settings.nats
      ? new StreamSource(settings.nats, cp?.stream ?? null, this.faults, log)
      : new FileSource(settings.dir, settings.maxLineBytes, cp?.positions, this.faults, log);
    this.snapshots = new SnapshotPublisher(
      {
        state: () => this.fold.ingest.state,
        version: () => this.fold.eventsApplied + this.fold.generation * 1e12,
        build: (views, nowMs) => this.buildSnapshot(views, nowMs),
        clock,
      },
      {
        stateDir: settings.stateDir,
        // Beside the telemetry files, as the reference writes it; in stream mode, in the state dir.
        performanceStatsDir: settings.nats ? settings.stateDir : settings.dir,
        listLimit: settings.snapshotListLimit,
        thresholdPct: settings.alerts.overhead.thresholdPct,
      },
      this.events,
      this.writes,
    );
    // A fault starting or clearing shows in the snapshot at once (not in the middle of a read).
    this.faults.onChange(() => {
      if (this.live && !this.stopped) setImmediate(() => this.snapshots.request());
    });
    this.restored = { why: restored.why, checkpoint: cp };
  }

  private readonly restored: { readonly why: string | null; readonly checkpoint: Checkpoint | null };

  /** Asks a starting daemon to stop catching up; `start` then returns without going live. */
  requestStop(): void {
    this.stopRequested = true;
    // A stream still being opened (the server or the stream not there yet) gives up at once.
    this.source.cancel();
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.settings.stateDir, { recursive: true });
    this.lock.take();
    this.began = true;
    this.resumeLogs();
    // Serving from the start of the catch-up: /readyz says 503 with the lag until it is done.
    try {
      await this.listen();
    } catch (error) {
      this.lock.release();
      throw error;
    }
    const began = this.clock();
    if (!(await this.source.catchUp(this.fold, () => !this.stopRequested))) return;
    this.checkpointer.markChanged();
    this.log.info({ events_applied: this.fold.eventsApplied, lines_rejected: this.fold.ingest.rejectedCount, ms: this.clock() - began }, 'caught up');
    if (this.stopRequested) return;
    this.alerting.evaluate(this.fold.ingest.state, this.clock() * 1000, true);
    // A state dir that takes no writes now is a fault (retried on every poll), not a failed start.
    await this.snapshots.writeNow();
    await this.checkpointer.save();
    this.startLive();
    this.live = true;
    const following = this.settings.nats ? { stream: this.settings.nats.stream } : { dir: this.settings.dir };
    // Queries ask the API from now on (not during the catch-up: it answered from part of the log).
    announceApi(this.settings.stateDir, this.http?.api ?? null, { dir: this.settings.nats ? null : this.settings.dir, stream: this.settings.nats?.stream ?? null }, this.log);
    this.log.info({ ...following, state_dir: this.settings.stateDir }, 'daemon ready: following telemetry');
  }

  /** Final snapshot and checkpoint, then the lock is released. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Stopped before the state was even restored: nothing of ours to save.
    if (!this.began) return;
    this.pipeline?.stop();
    this.events.close();
    withdrawApi(this.settings.stateDir, this.log);
    await this.http?.api.close();
    this.source.cancel();
    await this.checkpointer.settled();
    // Summaries of what was counted, and a last try at what waits, before their sizes are checkpointed.
    this.rejections.close();
    this.rejected.close();
    this.alertLog.close();
    await this.source.close();
    if (this.lock.lost) {
      this.log.error({ events_applied: this.fold.eventsApplied }, 'daemon stopped: nothing written (another daemon holds the state dir)');
      return;
    }
    // Each final write on its own: a full disk for one must not cost the others, nor the exit.
    const written = [await this.snapshots.close(), this.checkpointer.saveFinal()];
    this.lock.release();
    if (written.every(Boolean)) this.log.info({ events_applied: this.fold.eventsApplied }, 'daemon stopped: final snapshot and checkpoint written');
    else this.log.error({ events_applied: this.fold.eventsApplied, faults: this.faults.faults() }, 'daemon stopped: some final files could not be written (the last good ones stay)');
  }

  /** The snapshot document now (what snapshot.json and the API's /snapshot hold). */
  snapshot(): Snapshot {
    return this.snapshots.current();
  }

  /** What the state is of: the telemetry dir, or `nats:<stream>`. */
  private origin(): string {
    return this.settings.nats ? streamOrigin(this.settings.nats.stream) : this.settings.dir;
  }

  /** The state logs follow the checkpoint: lines read again after it are not logged twice. */
  private resumeLogs(): void {
    const cp = this.restored.checkpoint;
    if (cp === null) {
      this.log.info({ reason: this.restored.why }, this.settings.nats ? 'starting from the beginning of the stream' : 'starting from the beginning of the files');
      this.rejected.truncateTo(0);
      return;
    }
    this.fold.rebuilds = cp.rebuilds;
    this.alerting.restore(cp.activeAlerts);
    this.rejected.truncateTo(cp.rejectedFileSize, cp.rejectedFileId ?? null);
    this.alertLog.truncateTo(cp.alertsFileSize);
    this.log.info({ saved_at: cp.savedAt, events_applied: this.fold.eventsApplied }, 'resuming from checkpoint');
  }

  /** The HTTP API, when configured: it serves the state from the start of the catch-up. */
  private async listen(): Promise<void> {
    const address = this.settings.http ?? null;
    if (address === null) return;
    this.http = await serveHttp(
      address,
      this.settings.httpToken ?? null,
      {
        state: () => this.fold.ingest.state,
        totals: () => this.fold.ingest.totals,
        lagBytes: () => this.source.lag().bytesPerFile,
        hosts: () => this.source.hosts(),
        activeAlertNames: () => this.alerting.names(),
        alertNotices: () => this.alerting.noticeCounts(),
        faults: this.faults,
        overheadWindow: this.settings.alerts.overhead.window,
        rollingWindow: this.settings.rollingWindow,
        snapshot: () => this.snapshots.current(),
        readiness: () => {
          const lag = this.source.lag();
          return lag.messages === undefined ? { ready: this.live, lag_bytes: lag.bytes } : { ready: this.live, lag_bytes: 0, lag_messages: lag.messages };
        },
        // A rebuild (or a reset in stream mode) replaces the state and counts again from 0.
        version: () => this.fold.eventsApplied + this.fold.ingest.rejectedCount + this.fold.generation * 1e12,
        clock: this.clock,
      },
      this.events,
      this.log,
    );
    this.snapshots.onWritten = (seconds) => this.http?.metrics.snapshotWritten(seconds);
  }

  /** The live jobs, on the source's batches and the daemon's timers (see LivePipeline). */
  private startLive(): void {
    const nowUs = () => this.clock() * 1000;
    this.pipeline = new LivePipeline(
      {
        follow: (polls$) => this.source.follow(this.fold, polls$),
        changed: () => {
          this.lastEventAt = this.isoNow();
          this.checkpointer.markChanged();
        },
        publish: () => {
          this.alerting.evaluate(this.fold.ingest.state, nowUs(), false);
          this.snapshots.request();
        },
        // Time alone can fire an alert (a workflow open too long); a snapshot that failed to be
        // written is tried again on each poll, changes or not.
        poll: () => {
          this.lock.retry();
          if (this.alerting.evaluate(this.fold.ingest.state, nowUs(), false)) this.snapshots.request();
          else this.snapshots.retryIfStale();
        },
        // No checkpoint pairs the old state with a rebuild's half-read files; it waits for the swap.
        checkpoint: () => {
          if (!this.fold.rebuilding && !this.lock.lost) this.checkpointer.tick();
        },
      },
      this.settings,
      this.log,
      this.faults,
    );
    this.pipeline.start();
  }

  /** rejected.jsonl or alerts.jsonl hold records not yet written (a full state dir). */
  private logsPending(): boolean {
    return this.rejected.pending() > 0 || this.alertLog.pending() > 0;
  }

  private isoNow(): string {
    return formatTimestampUs(this.clock() * 1000);
  }

  private buildSnapshot(workflowViews: WorkflowViews, nowMs: number): Snapshot {
    const health = this.source.health();
    return buildSnapshot({
      state: this.fold.ingest.state,
      nowUs: nowMs * 1000,
      workflowViews,
      overheadAlert: { window: this.settings.alerts.overhead.window, thresholdPct: this.settings.alerts.overhead.thresholdPct },
      dir: this.source.origin,
      sources: health.sources,
      health: {
        events_applied: this.fold.eventsApplied,
        lines_rejected: this.fold.ingest.rejectedCount,
        lag_bytes: health.lag.bytes,
        ...(health.stream ? { stream: health.stream } : {}),
        last_event_at: this.lastEventAt,
        started_at: this.startedAt,
        rebuilds: this.fold.rebuilds,
        faults: this.faults.faults(),
      },
      alerts: this.alerting.list(),
      listLimit: this.settings.snapshotListLimit,
      rollingWindow: this.settings.rollingWindow,
    });
  }

  private checkpointData(): Checkpoint {
    // What waits in memory for a full state dir is tried first, so the sizes stored include it.
    this.rejected.retry();
    this.alertLog.retry();
    const { positions, stream } = this.source.position();
    return {
      dir: this.source.origin,
      positions,
      stream,
      totals: this.fold.ingest.totals,
      rebuilds: this.fold.rebuilds,
      rejectedFileSize: this.rejected.size(),
      rejectedFileId: this.rejected.fileId(),
      alertsFileSize: this.alertLog.size(),
      activeAlerts: this.alerting.list(),
      savedAt: this.isoNow(),
      state: this.fold.ingest.state,
    };
  }
}
