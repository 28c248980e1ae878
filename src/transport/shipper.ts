import fs from 'node:fs';
import path from 'node:path';
import type { JetStreamClient, PubAck } from 'nats';
import type { SourceKind } from '../domain/sources.js';
import { formatTimestampUs } from '../domain/time.js';
import { writeFileAtomicSync } from '../io/atomicFile.js';
import { FaultRegistry } from '../io/faults.js';
import { SourceSet, type SourcePositions, START_POSITIONS } from '../io/sourceSet.js';
import { rejectedLog, rejectedRecord, type StateLog } from '../io/stateLogs.js';
import type { Logger } from '../log.js';
import { decodeRawLine } from '../pipeline/ingest.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { messageId, subjectOf } from './natsStream.js';
import { readRegularFile } from '../io/regularFile.js';

/** Publishes in flight at once before waiting for their acknowledgements. */
const PIPELINE = 512;
/** Bytes read per file per step: a backlog is shipped (and its offsets recorded) in steps of this. */
const STEP_BYTES = 4 * 1024 * 1024;

export interface ShipCounts {
  published: number;
  duplicates: number;
  rejected: number;
}

interface ShipState {
  readonly dir: string;
  readonly host: string;
  /** Per file, bumped when it was rewritten: its re-shipped lines must not look like duplicates. */
  readonly generations: Readonly<Record<SourceKind, number>>;
  readonly positions: SourcePositions | null;
}

export interface ShipperOptions {
  readonly dir: string;
  readonly stateDir: string;
  readonly host: string;
  readonly maxLineBytes: number;
  readonly log: Logger;
  readonly clock?: () => number;
}

/**
 * Tails the three files with the daemon's FileTail and publishes every complete, valid line to
 * JetStream with a message id from host, file and byte offset. Offsets are recorded only after
 * JetStream acknowledged every line before them: a crash or an outage re-publishes, and the
 * stream's duplicate window drops what it already holds, so each line is stored once.
 */
export class Shipper {
  private state: ShipState;
  private sources: SourceSet;
  private readonly rejected: StateLog;
  private readonly statePath: string;
  /** Size of rejected.jsonl before the read in progress, to cut back to on a rewind. */
  private rejectedSizeBefore = 0;

  readonly faults: FaultRegistry;

  constructor(private readonly options: ShipperOptions) {
    this.faults = new FaultRegistry(options.log, () => this.now());
    fs.mkdirSync(options.stateDir, { recursive: true });
    this.statePath = path.join(options.stateDir, `ship-${options.host.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
    this.rejected = rejectedLog(options.stateDir, { faults: this.faults });
    this.state = this.load();
    this.sources = this.sourcesFrom(this.state.positions);
  }

  /**
   * Reads what the files gained and publishes it, in steps of STEP_BYTES per file (each step's
   * offsets recorded once it is acknowledged); returns the lines stored. Throws when NATS fails
   * (the offsets stay at the last acknowledged step).
   */
  async shipOnce(js: JetStreamClient): Promise<ShipCounts> {
    const total: ShipCounts = { published: 0, duplicates: 0, rejected: 0 };
    for (;;) {
      const step = await this.shipStep(js);
      total.published += step.published;
      total.duplicates += step.duplicates;
      total.rejected += step.rejected;
      if (!step.more) return total;
    }
  }

  private async shipStep(js: JetStreamClient): Promise<ShipCounts & { more: boolean }> {
    const lines: Array<readonly [SourceKind, RawLine]> = [];
    this.rejectedSizeBefore = this.rejected.size();
    const outcome = this.sources.readAll((kind, line) => lines.push([kind, line]), STEP_BYTES);
    if (outcome.kind === 'rewritten') {
      // Only that file starts over (under a new generation); the others go on from their
      // recorded offsets (what this step read of them is read again).
      const file = outcome.file;
      this.options.log.warn({ file, why: outcome.why }, 'a file changed other than by appending: shipping it again from the start');
      const positions = { ...(this.state.positions ?? START_POSITIONS), [file]: START_POSITIONS[file] };
      this.state = { ...this.state, generations: { ...this.state.generations, [file]: this.state.generations[file] + 1 }, positions };
      this.save();
      this.sources = this.sourcesFrom(positions);
      return { published: 0, duplicates: 0, rejected: 0, more: true };
    }
    const positions = this.sources.positions();
    let published = 0;
    let duplicates = 0;
    let rejected = 0;
    let inFlight: Array<Promise<PubAck>> = [];
    const settle = async () => {
      for (const ack of await Promise.all(inFlight)) {
        if (ack.duplicate) duplicates++;
        else published++;
      }
      inFlight = [];
    };
    for (const [kind, line] of lines) {
      const bytes = line.bytes;
      const decoded = decodeRawLine(kind, line, this.options.maxLineBytes);
      if (decoded.type === 'rejected') {
        rejected++;
        this.rejected.append(rejectedRecord({ file: kind, line: line.line, byteOffset: line.byteOffset, reason: decoded.reason }, bytes ?? line.head ?? null, bytes !== null, this.now()));
        continue;
      }
      if (decoded.type === 'blank') continue;
      const fingerprint = `${positions[kind].fingerprint?.ino ?? 0}.${this.state.generations[kind]}`;
      const data = line.text !== undefined ? Buffer.from(line.text, 'utf8') : (bytes as Buffer);
      inFlight.push(js.publish(subjectOf(kind, this.options.host), data, { msgID: messageId(this.options.host, `${kind}:${fingerprint}`, line.byteOffset) }));
      if (inFlight.length >= PIPELINE) await settle();
    }
    await settle();
    // Every line up to these positions is in the stream: record them.
    this.state = { ...this.state, positions };
    this.save();
    return { published, duplicates, rejected, more: outcome.more };
  }

  /** After a failure: forget what was read but not acknowledged, and read it again next time. */
  rewind(): void {
    this.sources = this.sourcesFrom(this.state.positions);
    // The lines will be read (and their bad ones recorded) again.
    this.rejected.truncateTo(this.rejectedSizeBefore);
  }

  private sourcesFrom(positions: SourcePositions | null): SourceSet {
    // A file that cannot be read is a fault (logged once, retried with backoff); the others ship on.
    return new SourceSet(this.options.dir, this.options.maxLineBytes, positions ?? START_POSITIONS, 'full', this.faults);
  }

  private load(): ShipState {
    const fresh: ShipState = { dir: this.options.dir, host: this.options.host, generations: { invocations: 0, metrics: 0, workflow_events: 0 }, positions: null };
    try {
      const bytes = readRegularFile(this.statePath);
      if (bytes === null) return fresh;
      const loaded = JSON.parse(bytes.toString('utf8')) as ShipState & { generation?: number };
      if (loaded.dir !== this.options.dir || loaded.host !== this.options.host) return fresh;
      // Written before generations were per file: one number for all three.
      const g = loaded.generation ?? 0;
      return { ...loaded, generations: loaded.generations ?? { invocations: g, metrics: g, workflow_events: g } };
    } catch {
      this.options.log.warn({ file: this.statePath }, 'shipper state unreadable: shipping from the start (the stream drops duplicates)');
      return fresh;
    }
  }

  private save(): void {
    writeFileAtomicSync(this.statePath, JSON.stringify(this.state));
  }

  private now(): string {
    return formatTimestampUs((this.options.clock ?? Date.now)() * 1000);
  }
}
