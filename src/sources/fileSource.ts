import path from 'node:path';
import { filter, interval, map, merge, type Observable, scan, Subject, switchMap, take } from 'rxjs';
import { SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { DirWatcher } from './dirWatcher.js';
import { InvocationLines, type LineHash, NO_ROW } from './invocationLines.js';
import { RewriteDiff } from './rewriteDiff.js';
import { FileTail } from '../io/fileTail.js';
import type { FaultSink } from '../io/faults.js';
import { type SourcePositions, SourceSet } from '../io/sourceSet.js';
import type { Logger } from '../log.js';
import type { Ingest } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import type { HostHealth } from '../domain/streamPosition.js';
import type { Fold, Source, SourceHealth, SourceLag, SourcePosition } from './source.js';

/** Bytes read per step while catching up, between which progress is logged and I/O can run. */
const CATCH_UP_STEP_BYTES = 32 * 1024 * 1024;
/**
 * Bytes read per file per live read: a huge append (or a symlink to a 10 GB file) is read in
 * steps with the event loop free between them, so the API and the other files keep going.
 */
const LIVE_READ_BUDGET = 4 * 1024 * 1024;
/**
 * After each event the file is read again every FOLLOW_READ_MS until this long after it: a line
 * whose event was lost or merged with an earlier one (the watcher passes at most one per file per
 * turn of the loop) waits a few ms, not for the next event. (chokidar's change events come at
 * most once per file every 50 ms, the rest dropped without a trailing one; the watcher passes
 * its raw events.)
 */
const TRAILING_READ_MS = 60;
const FOLLOW_READ_MS = 5;
/**
 * A rebuild takes the place of the served state only after a read this long after the last one
 * found nothing new: a file truncated and then written again (the reference logger's rewrite)
 * is read whole, not swapped in empty.
 */
const REBUILD_QUIET_MS = 50;
/**
 * A rewrite read so far lacks records the state holds: the writer may only be paused (python
 * writing 90 MB on a busy machine stalls for more than REBUILD_QUIET_MS), so it is taken as a
 * removal only after the file has been quiet this long.
 */
const REWRITE_INCOMPLETE_QUIET_MS = 1000;
/**
 * Bytes hashed per step of a resume's check of the bytes before the checkpoint (sha1 at ~0.5-1
 * GB/s: a few ms of event loop per step), done after the daemon serves.
 */
const PREFIX_CHECK_STEP = 4 * 1024 * 1024;
/** A step of that check that met a fault is tried again after this long. */
const PREFIX_RETRY_MS = 100;

/** Ticks every FOLLOW_READ_MS for TRAILING_READ_MS after each event; a new event restarts them. */
function followUps(events$: Observable<unknown>): Observable<unknown> {
  return events$.pipe(switchMap(() => interval(FOLLOW_READ_MS).pipe(take(Math.ceil(TRAILING_READ_MS / FOLLOW_READ_MS)))));
}

interface LineBatch {
  readonly lines: Array<readonly [SourceKind, RawLine]>;
  readonly rewritten: { readonly file: SourceKind; readonly why: string } | null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The three files of a telemetry dir: FileTails (offsets, rewrite detection, faults) read on
 * the watcher's word (chokidar), with follow-up reads and a safety poll. A file that changed other than by
 * appending is read again from the start into a state built aside, in steps, while the last good
 * state is served; it takes its place once it has read everything.
 */
export class FileSource implements Source {
  readonly origin: string;
  private sources: SourceSet;
  private watcher: DirWatcher | null = null;
  /** Files with more to read than one live step: read on at the next turn. */
  private readonly readAgain$ = new Subject<SourceKind>();
  /** What the served state holds of each invocations line: how a rewrite is told apart cheaply. */
  private lines: InvocationLines;
  private readonly lineHash: LineHash = { lo: 0, hi: 0 };
  private rebuild: { again: boolean; done: Promise<void>; readonly changed: Set<SourceKind> } | null = null;
  private closed = false;
  /** Holds taken and not released (see hold): live reads wait. */
  private holds = 0;
  /** The resume's check of the bytes before the checkpoint, running after serving starts. */
  private prefixCheck: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly maxLineBytes: number,
    positions: SourcePositions | undefined,
    private readonly faults: FaultSink,
    private readonly log: Logger,
  ) {
    this.origin = dir;
    // The bytes before the checkpoint are proven unchanged after serving starts (checkPrefixes):
    // hashing them first was most of a restart.
    this.sources = new SourceSet(dir, maxLineBytes, positions, 'deferred', faults);
    // Lines read by an earlier process are not known here: a rewrite decodes them to compare.
    this.lines = new InvocationLines(positions?.invocations.line ?? 1);
  }

  async catchUp(fold: Fold, proceed: () => boolean): Promise<boolean> {
    let lastLog = Date.now();
    // Resuming, the lines before the checkpoint are unknown to InvocationLines anyway (a rewrite
    // decodes them to compare): those appended since are left unknown too, rather than hashed
    // one by one before the first snapshot. A rewrite after a restart decodes a few more lines;
    // a full read hashes every line, so its first rewrite decodes only what changed.
    let unnoted = this.lines.knownFrom > 1;
    for (;;) {
      const apply = unnoted ? (kind: SourceKind, line: RawLine) => void fold.apply(kind, line) : (kind: SourceKind, line: RawLine) => this.applyLine(fold, kind, line);
      const step = () => this.sources.readAll(apply, CATCH_UP_STEP_BYTES);
      const outcome = fold.inBatch ? fold.inBatch(step) : step();
      const redo = outcome.kind === 'rewritten' ? { file: outcome.file, why: outcome.why } : fold.takeRebuildRequest();
      if (redo !== null || outcome.kind === 'rewritten') {
        // Nothing is served yet: start over in place.
        if (redo !== null) fold.rebuildStarted(redo.file, redo.why);
        this.sources = this.freshSet();
        this.lines = new InvocationLines();
        unnoted = false;
        fold.adopt(fold.fresh());
        continue;
      }
      if (unnoted) this.lines = new InvocationLines(this.sources.positions().invocations.line);
      if (!outcome.more || !proceed()) return true;
      if (Date.now() - lastLog >= 1000) {
        lastLog = Date.now();
        this.log.info({ events_applied: fold.eventsApplied, lag_bytes: this.sources.lagBytes() }, 'catching up');
      }
      await nextTurn();
    }
  }

  /** Per-file change signals (chokidar, follow-up reads, steps, the safety poll) -> line batches -> scan(apply). */
  follow(fold: Fold, polls$: Observable<number>): Observable<boolean> {
    const changes$ = new Subject<SourceKind>();
    const perFile: Array<Observable<LineBatch>> = SOURCE_KINDS.map((kind) => {
      const events$ = changes$.pipe(filter((k) => k === kind));
      const again$ = this.readAgain$.pipe(filter((k) => k === kind));
      return merge(events$, followUps(events$), again$, polls$).pipe(map(() => this.readBatch(kind)));
    });
    // scan folds each batch with the same apply the batch replay uses; it emits whether the batch changed anything.
    const applied$ = merge(...perFile).pipe(
      scan((_changed: boolean, batch: LineBatch) => {
        if (batch.rewritten !== null) this.rewriteOrRebuild(fold, batch.rewritten.file, batch.rewritten.why);
        for (const [kind, line] of batch.lines) this.applyLine(fold, kind, line);
        const wanted = fold.takeRebuildRequest();
        if (wanted !== null) this.rebuildAside(fold, wanted.file, wanted.why);
        return batch.lines.length > 0;
      }, false),
    );
    void this.watcher?.close();
    const watched = new Map(SOURCE_KINDS.map((kind) => [path.resolve(this.sources.pathOf(kind)), kind] as const));
    this.watcher = new DirWatcher(this.dir, watched, (kind) => changes$.next(kind as SourceKind), this.faults);
    this.watcher.start();
    this.prefixCheck ??= this.checkPrefixes(fold).catch((error: unknown) => this.log.error({ err: error }, 'checking the files against the checkpoint failed'));
    return applied$;
  }

  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      // What the watcher said meanwhile was not read: read every file now.
      if (this.holds === 0 && !this.closed) for (const kind of SOURCE_KINDS) this.readAgain$.next(kind);
    };
  }

  positionVouched(): boolean {
    return !this.sources.prefixesUnchecked();
  }

  /**
   * A resume's proof that the files still hold the bytes the checkpoint was built from, in steps
   * while the daemon serves; bytes that differ (a file rewritten while the daemon was down, past
   * the checks of the first read) rebuild the state from the files.
   */
  private async checkPrefixes(fold: Fold): Promise<void> {
    if (!this.sources.prefixesUnchecked()) return;
    // Not in the turn that starts following: the daemon finishes going live first.
    await nextTurn();
    const began = Date.now();
    for (;;) {
      if (this.closed) return;
      // A rebuild's fresh tails hash what they read from the start: nothing to prove there.
      if (this.rebuild !== null) {
        await this.rebuild.done;
        continue;
      }
      const outcome = this.sources.checkPrefixes(PREFIX_CHECK_STEP);
      if (outcome.kind === 'rewritten') {
        this.log.warn({ file: outcome.file, why: outcome.why, ms: Date.now() - began }, 'a file no longer holds what the checkpoint was built from: rebuilding');
        this.rebuildAside(fold, outcome.file, `${outcome.why} (found after start, by the check against the checkpoint)`);
        continue;
      }
      if (outcome.kind === 'fault') await pause(PREFIX_RETRY_MS);
      else if (!outcome.more) break;
      else await nextTurn();
    }
    this.log.info({ ms: Date.now() - began }, 'the files hold what the checkpoint was built from');
  }

  position(): SourcePosition {
    return { positions: this.sources.positions(), stream: null };
  }

  lag(): SourceLag {
    this.sources.refreshSizes();
    const of = (kind: SourceKind) => this.sources.lagBytesOf(kind);
    return { bytes: this.sources.lagBytes(), bytesPerFile: { invocations: of('invocations'), metrics: of('metrics'), workflow_events: of('workflow_events') } };
  }

  hosts(): readonly HostHealth[] {
    return [];
  }

  health(): SourceHealth {
    const lag = this.lag();
    return { lag, sources: this.sources.statuses() };
  }

  cancel(): void {
    // Nothing to wait for: the files are there or not.
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
    this.watcher = null;
    await this.rebuild?.done;
    await this.prefixCheck;
    // The check finished at once, so the final checkpoint vouches for the files; bytes that
    // differ leave the positions without a prefix hash, and the next start reads the files again.
    for (;;) {
      const outcome = this.sources.checkPrefixes(Number.POSITIVE_INFINITY);
      if (outcome.kind === 'rewritten') {
        this.log.warn({ file: outcome.file, why: outcome.why }, 'a file no longer holds what the checkpoint was built from: the next start reads the files again');
        continue;
      }
      if (outcome.kind === 'fault' || !outcome.more) break;
    }
  }

  /** Folds a line into the served state; an invocation line is noted (see InvocationLines). */
  private applyLine(fold: Fold, kind: SourceKind, line: RawLine, into?: Ingest, lines: InvocationLines = this.lines): void {
    const outcome = fold.apply(kind, line, into);
    if (kind !== 'invocations') return;
    const row = outcome?.type === 'event' && outcome.event.kind === 'invocation' ? (into ?? fold.ingestNow()).state.ledger.invocationIds.find(outcome.event.invocationId) : NO_ROW;
    lines.note(line, row, this.lineHash);
  }

  /**
   * A rewritten invocations file (the reference logger's update_invocation) is read again and
   * told apart from the served state record by record (RewriteDiff); only what changed is
   * applied. Any other change, or one that cannot be told apart, is rebuilt.
   */
  private rewriteOrRebuild(fold: Fold, file: SourceKind, why: string): void {
    if (file !== 'invocations' || this.rebuild !== null || !fold.rewritable(file)) {
      this.rebuildAside(fold, file, why);
      return;
    }
    const task = { again: false, done: Promise.resolve(), changed: new Set([file]) };
    this.rebuild = task;
    fold.rebuilding = true;
    this.watcher?.pause();
    task.done = this.runRewrite(fold, file, why)
      .catch((error: unknown) => {
        this.log.error({ err: error }, 'telling a rewrite apart failed: rebuilding');
        return 'failed';
      })
      .then((mismatch) => {
        this.rebuild = null;
        fold.rebuilding = false;
        if (mismatch !== null && !this.closed) this.rebuildAside(fold, file, `${why}; not applied as changes: ${mismatch}`);
        else if (!this.closed) {
          this.watcher?.resume();
          for (const kind of SOURCE_KINDS) this.readAgain$.next(kind);
        }
      });
  }

  /** Reads the rewritten file whole, in steps, until it is quiet; null once applied, else why not. */
  private async runRewrite(fold: Fold, file: SourceKind, why: string): Promise<string | null> {
    // A scan: lines without their text (only the few that differ are decoded, from their
    // bytes), read into one buffer; RewriteDiff keeps nothing of a line past its call.
    const tail = new FileTail(file, this.sources.pathOf(file), this.maxLineBytes, undefined, 'full', true);
    const diff = new RewriteDiff(fold.ingestNow().state, this.lines, this.maxLineBytes);
    let settled = false;
    let grewAt = Date.now();
    let size = -1;
    for (;;) {
      if (this.closed) return 'closed';
      let read = 0;
      const outcome = tail.read((line) => {
        read++;
        diff.line(line);
      }, LIVE_READ_BUDGET);
      if (outcome.kind !== 'ok') return outcome.kind === 'rewritten' ? `rewritten again (${outcome.why})` : `file ${outcome.kind}`;
      if (diff.mismatch !== null) return diff.mismatch;
      if (outcome.size !== size) grewAt = Date.now();
      size = outcome.size;
      if (outcome.more === true) {
        settled = false;
        await nextTurn();
        continue;
      }
      if (read === 0 && settled && (diff.holdsEveryRow() || Date.now() - grewAt >= REWRITE_INCOMPLETE_QUIET_MS)) break;
      await pause(REBUILD_QUIET_MS);
      settled = true;
    }
    const mismatch = diff.finish();
    if (mismatch !== null) return mismatch;
    // The new tail first: applyRewrite announces the new state, and the daemon may write the
    // snapshot and checkpoint from it at once, with this source's position. Swapped after, they
    // paired the new state with the old file's offset, and the read after (already at the end)
    // changed nothing, so nothing published them again.
    tail.followLive();
    this.sources.replaceTail(file, tail);
    this.lines = diff.lines;
    fold.applyRewrite(file, why, diff.changes(), diff.tally, diff.decoded);
    return null;
  }

  private freshSet(): SourceSet {
    return new SourceSet(this.dir, this.maxLineBytes, undefined, 'full', this.faults);
  }

  private readBatch(kind: SourceKind): LineBatch {
    const lines: Array<readonly [SourceKind, RawLine]> = [];
    // A rebuild reads the files itself; what was appended meanwhile is read once it is done (or
    // once a hold is released).
    if (this.rebuild !== null || this.holds > 0) return { lines, rewritten: null };
    const outcome = this.sources.read(kind, (k, line) => lines.push([k, line]), LIVE_READ_BUDGET);
    if (outcome.kind === 'rewritten') return { lines: [], rewritten: { file: outcome.file, why: outcome.why } };
    // More than one step waits: read on at the next turn of the event loop.
    if (outcome.more) setImmediate(() => this.readAgain$.next(kind));
    return { lines, rewritten: null };
  }

  /** Starts (or starts over) building the state aside. */
  private rebuildAside(fold: Fold, file: SourceKind, why: string): void {
    fold.rebuildStarted(file, why);
    if (this.rebuild !== null) {
      this.rebuild.changed.add(file);
      this.rebuild.again = true;
      return;
    }
    const task = { again: false, done: Promise.resolve(), changed: new Set([file]) };
    this.rebuild = task;
    fold.rebuilding = true;
    this.watcher?.pause();
    task.done = this.runRebuild(fold, task)
      .catch((error: unknown) => this.log.error({ err: error }, 'rebuild failed: the last good state goes on being served'))
      .finally(() => {
        this.rebuild = null;
        fold.rebuilding = false;
        // Whatever was appended meanwhile is read now.
        if (!this.closed) {
          this.watcher?.resume();
          for (const kind of SOURCE_KINDS) this.readAgain$.next(kind);
        }
      });
  }

  private async runRebuild(fold: Fold, task: { again: boolean; readonly changed: ReadonlySet<SourceKind> }): Promise<void> {
    for (;;) {
      task.again = false;
      const fresh = this.freshSet();
      const ingest = fold.fresh();
      const lines = new InvocationLines();
      if (await this.readAside(fresh, ingest, fold, task, lines)) {
        // The old set's faults are over unless the fresh one still has them.
        this.sources.handOverFaults(fresh);
        this.sources = fresh;
        this.lines = lines;
        fold.adopt(ingest);
        this.log.info({ events_applied: fold.eventsApplied, lines_rejected: ingest.rejectedCount }, 'rebuilt from the files');
        return;
      }
      if (this.closed) return;
    }
  }

  /**
   * Reads every file into the state aside, in steps. True once it holds everything: a read
   * after a quiet pause found nothing new, and no file is faulted but those whose change started
   * the rebuild (a faulted file left alone would lose its lines, which the served state holds;
   * one that changed has lost them already). False to start over (another rewrite, a failed
   * apply) or when closed.
   */
  private async readAside(fresh: SourceSet, ingest: Ingest, fold: Fold, task: { again: boolean; readonly changed: ReadonlySet<SourceKind> }, lines: InvocationLines): Promise<boolean> {
    let settled = false;
    for (;;) {
      if (this.closed || task.again) return false;
      let read = 0;
      const outcome = fresh.readAll((kind, line) => {
        read++;
        this.applyLine(fold, kind, line, ingest, lines);
      }, LIVE_READ_BUDGET);
      if (outcome.kind === 'rewritten' || fold.takeRebuildRequest() !== null) return false;
      if (outcome.more) {
        settled = false;
        await nextTurn();
        continue;
      }
      if (read === 0 && settled && !fresh.anyFaulted(task.changed)) return true;
      await pause(REBUILD_QUIET_MS);
      settled = true;
    }
  }
}
