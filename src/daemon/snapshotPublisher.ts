import path from 'node:path';
import { stringifyJson } from '../domain/jsonText.js';
import { replaceFileAtomic, replaceFileAtomicSync, writeFileAtomicSync } from '../io/atomicFile.js';
import { LatestWriter } from '../io/latestWriter.js';
import type { EventStream } from '../http/eventStream.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { type Snapshot, type WorkflowViews, workflowViews } from '../queries/snapshot.js';
import * as q from '../queries/telemetryQueries.js';
import type { StateDirWrites } from './stateDirWrites.js';

export const SNAPSHOT_FILE = 'snapshot.json';
export const PERFORMANCE_STATS_FILE = 'performance_stats.json';

const PERFORMANCE_STATS_INTERVAL_MS = 1000;

export interface SnapshotSource {
  readonly state: () => TelemetryState;
  /** The whole document, given the workflow views to carry. */
  readonly build: (views: WorkflowViews, nowMs: number) => Snapshot;
  readonly clock: () => number;
}

export interface SnapshotSettings {
  readonly stateDir: string;
  /** Where performance_stats.json goes: beside the telemetry files, or the state dir in stream mode. */
  readonly performanceStatsDir: string;
  readonly listLimit: number;
  readonly thresholdPct: number;
}

/**
 * snapshot.json (and performance_stats.json): built from the state when asked, at most one
 * write at a time (requests made meanwhile collapse into one), sent on the API's event stream,
 * and written atomically. A write that fails is a fault; the last good file stays, and the
 * next poll tries again (retryIfStale) even when nothing changed.
 */
export class SnapshotPublisher {
  private readonly writer: LatestWriter;
  private stale = false;
  private lastPerformanceStatsAt = -Infinity;
  /** Called with the seconds each write took (the /metrics histogram). */
  onWritten: (seconds: number) => void = () => undefined;

  constructor(
    private readonly source: SnapshotSource,
    private readonly settings: SnapshotSettings,
    private readonly events: EventStream,
    private readonly writes: StateDirWrites,
  ) {
    this.writer = new LatestWriter(
      () => this.write(),
      (error) => this.failed(error),
    );
  }

  /** A snapshot soon (now, or right after the one being written). */
  request(): void {
    this.writer.request();
  }

  /** Resolves once every requested write has finished; a failure is a fault, not a rejection. */
  async writeNow(): Promise<void> {
    await this.write().catch((error: unknown) => this.failed(error));
  }

  /** On every poll: a snapshot that failed to be written is tried again, changes or not. */
  retryIfStale(): void {
    if (this.stale) this.request();
  }

  /** The document now (also what the HTTP API serves). */
  current(): Snapshot {
    const nowMs = this.source.clock();
    // The live-views fold keeps the workflow views current: every snapshot carries them as of now.
    const views = workflowViews(this.source.state(), nowMs * 1000, this.settings.listLimit, this.settings.thresholdPct);
    return this.source.build(views, nowMs);
  }

  /** At shutdown: the writes in progress, then the last snapshot and stats, blocking. False if one failed. */
  async close(): Promise<boolean> {
    await this.writer.flush();
    const snapshot = this.current();
    const stats = stringifyJson({ generated_at: snapshot.generated_at, ...q.stats(this.source.state()) });
    const wroteSnapshot = this.writes.finalWrite(SNAPSHOT_FILE, () => writeFileAtomicSync(path.join(this.settings.stateDir, SNAPSHOT_FILE), stringifyJson(snapshot)));
    const wroteStats = this.writes.finalWrite(PERFORMANCE_STATS_FILE, () => writeFileAtomicSync(this.performanceStatsPath(), stats));
    return wroteSnapshot && wroteStats;
  }

  private async write(): Promise<void> {
    const began = performance.now();
    const snapshot = this.current();
    const text = stringifyJson(snapshot);
    this.events.snapshot(text);
    // Both files are derived from the state and rewritten after a restart: atomic but not
    // fsynced, so a snapshot does not wait for the disk (the fsyncs were most of its ~10 ms).
    // snapshot.json at once (blocking, under a millisecond): as async steps it waited for a
    // turn of the event loop at each of them while lines kept arriving.
    replaceFileAtomicSync(path.join(this.settings.stateDir, SNAPSHOT_FILE), text);
    const writes: Array<Promise<void>> = [];
    // performance_stats.json lives in the watched telemetry dir, where each rewrite makes the
    // watcher rescan the dir: at most once a second.
    const nowMs = this.source.clock();
    if (nowMs - this.lastPerformanceStatsAt >= PERFORMANCE_STATS_INTERVAL_MS) {
      this.lastPerformanceStatsAt = nowMs;
      writes.push(this.writePerformanceStats(snapshot.generated_at));
    }
    await Promise.all(writes);
    this.stale = false;
    this.writes.succeeded(SNAPSHOT_FILE);
    this.onWritten((performance.now() - began) / 1000);
  }

  private failed(error: unknown): void {
    this.stale = true;
    this.writes.failed(SNAPSHOT_FILE, error);
  }

  /** Its own fault: a read-only telemetry dir must not stop the snapshots in the state dir. */
  private async writePerformanceStats(generatedAt: string): Promise<void> {
    const stats = { generated_at: generatedAt, ...q.stats(this.source.state()) };
    try {
      await replaceFileAtomic(this.performanceStatsPath(), stringifyJson(stats));
      this.writes.succeeded(PERFORMANCE_STATS_FILE);
    } catch (error) {
      this.writes.failed(PERFORMANCE_STATS_FILE, error);
    }
  }

  private performanceStatsPath(): string {
    return path.join(this.settings.performanceStatsDir, PERFORMANCE_STATS_FILE);
  }
}
