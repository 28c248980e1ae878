import fs from 'node:fs';
import { formatTimestampUs } from './domain/time.js';
import type { Checkpoint } from './io/checkpointStore.js';
import type { CheckpointRead } from './io/checkpointPrefetch.js';
import { restoreState } from './io/resume.js';
import { FaultRegistry } from './io/faults.js';
import type { Logger } from './log.js';
import type { TelemetryEvent } from './domain/events.js';
import type { Snapshot } from './queries/snapshot.js';
import { EventStream } from './http/eventStream.js';
import type { Source } from './sources/source.js';
import { Alerting } from './daemon/alerting.js';
import { announceApi, withdrawApi } from './daemon/apiRecord.js';
import { apiView } from './daemon/apiView.js';
import { checkpointContents } from './daemon/checkpointContents.js';
import { Checkpointer, checkpointTiming } from './daemon/checkpointer.js';
import { DaemonFold } from './daemon/daemonFold.js';
import type { DaemonSettings } from './daemon/daemonSettings.js';
import { HookErrorReports } from './daemon/hookErrorReports.js';
import type { ServedHttp } from './daemon/httpServer.js';
import { liveJobs } from './daemon/liveJobs.js';
import { LivePipeline } from './daemon/livePipeline.js';
import type { OtlpIntake } from './daemon/otlpIntake.js';
import { RejectionReports } from './daemon/rejectionReports.js';
import { snapshotDocument } from './daemon/snapshotDocument.js';
import { SnapshotPublisher } from './daemon/snapshotPublisher.js';
import { type ChosenSource, chooseSource, sourceOrigin } from './daemon/sourceChoice.js';
import { StateDirLock } from './daemon/stateDirLock.js';
import { StateDirLogs } from './daemon/stateDirLogs.js';
import { StateDirWrites } from './daemon/stateDirWrites.js';

export type { DaemonSettings } from './daemon/daemonSettings.js';
export { PERFORMANCE_STATS_FILE, SNAPSHOT_FILE } from './daemon/snapshotPublisher.js';

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
  private readonly logs: StateDirLogs;
  private readonly rejections: RejectionReports;
  private readonly hookErrors: HookErrorReports;
  private readonly alerting: Alerting;
  private readonly checkpointer: Checkpointer;
  private readonly snapshots: SnapshotPublisher;
  private readonly lock: StateDirLock;
  private readonly fold: DaemonFold;
  private readonly chosen: ChosenSource;
  private readonly source: Source;
  /** What the snapshot, the API and the live jobs all read. */
  private readonly parts: { settings: DaemonSettings; fold: DaemonFold; source: Source; alerting: Alerting; faults: FaultRegistry; hookErrors: HookErrorReports };
  private readonly restored: { readonly why: string | null; readonly checkpoint: Checkpoint | null };
  private http: ServedHttp | null = null;
  private pipeline: LivePipeline | null = null;
  private otlp: OtlpIntake | null = null;
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
    /** The checkpoint read already (prefetchCheckpoint, while the modules loaded); else it is read here. */
    checkpointRead?: CheckpointRead,
  ) {
    this.startedAt = this.isoNow();
    this.faults = new FaultRegistry(log, () => this.isoNow());
    this.logs = new StateDirLogs(settings.stateDir, this.faults);
    this.rejections = new RejectionReports(log, this.logs.rejected, clock);
    this.hookErrors = new HookErrorReports(settings.stateDir, this.faults, log, clock);
    this.alerting = new Alerting(settings.alerts, log, this.logs.alerts, this.events);
    const writes = new StateDirWrites(settings.stateDir, this.faults);
    this.checkpointer = new Checkpointer(settings.stateDir, () => checkpointContents({ source: this.source, fold: this.fold, logs: this.logs, alerting: this.alerting, hookErrors: this.hookErrors }, this.isoNow()), writes, () => this.logs.pending(), () => this.source.positionVouched?.() ?? true, checkpointTiming(settings.checkpointIntervalMs), () => this.holdForCheckpoint());
    this.lock = new StateDirLock(settings.stateDir, this.faults, log, () => this.onFatal('another daemon took the state dir'));
    const onEvent = (event: TelemetryEvent) => {
      if (this.live && !this.fold.rebuilding && event.kind === 'workflow_complete') {
        this.alerting.checkEstimate(this.fold.ingest.state, event.workflowId, event.durationSeconds, this.clock() * 1000);
      }
    };
    const restored = restoreState(settings.stateDir, sourceOrigin(settings), settings.maxLineBytes, DaemonFold.ingestOptions(settings.maxLineBytes, this.rejections, onEvent), checkpointRead);
    this.restored = { why: restored.why, checkpoint: restored.checkpoint };
    this.chosen = chooseSource(settings, restored.checkpoint, this.faults, log);
    this.source = this.chosen.source;
    this.fold = new DaemonFold(restored.ingest, {
      maxLineBytes: settings.maxLineBytes,
      log,
      faults: this.faults,
      rejected: this.logs.rejected,
      rejections: this.rejections,
      rereadable: this.chosen.rereadable,
      onEvent,
      onAdopted: () => {
        this.checkpointer.markChanged();
        if (this.live) this.snapshots.request();
      },
    });
    this.parts = { settings, fold: this.fold, source: this.source, alerting: this.alerting, faults: this.faults, hookErrors: this.hookErrors };
    const snapshotParts = { ...this.parts, startedAt: this.startedAt, lastEventAt: () => this.lastEventAt };
    this.snapshots = new SnapshotPublisher(
      {
        state: () => this.fold.ingest.state,
        build: (views, nowMs) => snapshotDocument(snapshotParts, views, nowMs),
        clock,
      },
      { stateDir: settings.stateDir, performanceStatsDir: this.chosen.performanceStatsDir, listLimit: settings.snapshotListLimit, thresholdPct: settings.alerts.overhead.thresholdPct },
      this.events,
      writes,
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
    this.source.cancel();
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.settings.stateDir, { recursive: true });
    this.lock.take();
    this.began = true;
    this.resume();
    // Serving from the start of the catch-up: /readyz says 503 with the lag until it is done,
    // and the OTLP receiver answers 429 while the unfolded log is over its bound.
    try {
      await this.listen();
      await this.receive();
    } catch (error) {
      await this.http?.api.close();
      this.lock.release();
      throw error;
    }
    const began = this.clock();
    if (!(await this.source.catchUp(this.fold, () => !this.stopRequested))) return;
    this.checkpointer.markChanged();
    this.log.info({ events_applied: this.fold.eventsApplied, lines_rejected: this.fold.ingest.rejectedCount, ms: this.clock() - began }, 'caught up');
    if (this.stopRequested) return;
    this.alerting.evaluate(this.fold.ingest.state, this.clock() * 1000, true);
    this.hookErrors.poll();
    // A state dir that takes no writes now is a fault (retried on every poll), not a failed start.
    await this.snapshots.writeNow();
    // After a full read: a crash now does not read everything again. After a resume it waits
    // for the check of the files against the checkpoint (the interval writes it then).
    await this.checkpointer.save();
    this.pipeline = new LivePipeline(
      liveJobs({
        ...this.parts,
        snapshots: this.snapshots,
        checkpointer: this.checkpointer,
        lock: this.lock,
        noteEvent: () => {
          this.lastEventAt = this.isoNow();
        },
        clock: this.clock,
      }),
      this.settings,
      this.log,
      this.faults,
    );
    this.pipeline.start();
    this.live = true;
    // Queries ask the API from now on (not during the catch-up: it answered from part of the log).
    announceApi(this.settings.stateDir, this.http?.api ?? null, { dir: null, stream: null, ...this.chosen.following }, this.log);
    this.log.info({ ...this.chosen.following, state_dir: this.settings.stateDir }, 'daemon ready: following telemetry');
  }

  /** Final snapshot and checkpoint, then the lock is released. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Stopped before the state was even restored: nothing of ours to save.
    if (!this.began) return;
    // First, while the pipeline still runs: what the receiver flushes at close is folded into the final state.
    await this.otlp?.stop();
    this.pipeline?.stop();
    this.events.close();
    withdrawApi(this.settings.stateDir, this.log);
    await this.http?.api.close();
    this.source.cancel();
    await this.checkpointer.settled();
    // Summaries of what was counted, and a last try at what waits, before their sizes are checkpointed.
    this.rejections.close();
    this.hookErrors.close();
    this.logs.close();
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

  /**
   * Live, a checkpoint is encoded in steps while the source holds its reads: a rewrite or rebuild
   * in progress changes the state on its own (encoded at once then), and so does the catch-up.
   */
  private holdForCheckpoint(): (() => void) | null {
    if (!this.live || this.fold.rebuilding || this.source.hold === undefined) return null;
    return this.source.hold();
  }

  /** The counters and the state logs go on from the checkpoint, or start afresh without one. */
  private resume(): void {
    const cp = this.restored.checkpoint;
    if (cp === null) {
      this.log.info({ reason: this.restored.why }, this.chosen.fromTheStart);
      this.logs.startAfresh();
      return;
    }
    this.fold.rebuilds = cp.rebuilds;
    this.alerting.restore(cp.activeAlerts);
    this.hookErrors.resume(cp.hookErrors);
    this.logs.resume(cp);
    this.log.info({ saved_at: cp.savedAt, events_applied: this.fold.eventsApplied }, 'resuming from checkpoint');
  }

  /** The OTLP receiver, when configured: it appends to the dir this daemon follows. */
  private async receive(): Promise<void> {
    const settings = this.settings.otlp ?? null;
    if (settings === null) return;
    const { dir, maxLineBytes } = this.settings;
    const { OtlpIntake } = await import('./daemon/otlpIntake.js');
    this.otlp = await OtlpIntake.start(settings, { dir, maxLineBytes, source: this.source, faults: this.faults, log: this.log, live: () => this.live });
  }

  /** The HTTP API, when configured: it serves the state from the start of the catch-up. */
  private async listen(): Promise<void> {
    const address = this.settings.http ?? null;
    if (address === null) return;
    // Loaded only when serving: fastify and prom-client are most of the daemon's module loading,
    // and a daemon run with --http off should not pay for them before its first snapshot.
    const { serveHttp } = await import('./daemon/httpServer.js');
    const view = apiView({ ...this.parts, snapshot: () => this.snapshots.current(), live: () => this.live, otlp: () => this.otlp?.counts ?? null, clock: this.clock });
    this.http = await serveHttp(address, this.settings.httpToken ?? null, view, this.events, this.log);
    this.snapshots.onWritten = (seconds) => this.http?.metrics.snapshotWritten(seconds);
  }

  private isoNow(): string {
    return formatTimestampUs(this.clock() * 1000);
  }
}
