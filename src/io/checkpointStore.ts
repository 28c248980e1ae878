import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_KINDS } from '../domain/sources.js';
import { emptyTotals, type IngestTotals, type SourceTally } from '../pipeline/ingest.js';
import { decodeState, encodeState } from '../projections/stateCodec.js';
import type { TelemetryState } from '../projections/telemetryState.js';
import type { ActiveAlert } from '../queries/alerts.js';
import type { StreamPosition } from '../domain/streamPosition.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomicFile.js';
import type { SourcePositions } from './sourceSet.js';

/**
 * The checkpoint: the full state and the file positions it corresponds to, in ONE file written
 * atomically, so a restart (even after kill -9) never pairs a state with the wrong offsets.
 * Layout: "OAKC", u32 header length, JSON header, then the encoded state.
 */
export const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = Buffer.from('OAKC');
const FORMAT = 1;

export interface CheckpointMeta {
  readonly dir: string;
  readonly positions: SourcePositions;
  /** A daemon following a JetStream stream: where it stands there (absent in file mode). */
  readonly stream?: StreamPosition | null;
  readonly totals: IngestTotals;
  readonly rebuilds: number;
  /** Sizes of the state dir's append-only logs when the checkpoint was taken. */
  readonly rejectedFileSize: number;
  /** Which file rejectedFileSize is of (rejected.jsonl rotates); absent or null: the current one. */
  readonly rejectedFileId?: string | null;
  readonly alertsFileSize: number;
  readonly activeAlerts: readonly ActiveAlert[];
  readonly savedAt: string;
}

export interface Checkpoint extends CheckpointMeta {
  readonly state: TelemetryState;
}

interface HeaderJson extends Omit<CheckpointMeta, 'totals'> {
  readonly format: number;
  readonly totals: {
    perSource: Record<string, SourceTally>;
    skippedByReason: Array<[string, number]>;
    /** Absent in checkpoints written before it existed. */
    rejectedByKind?: Array<[string, number]>;
  };
}

function encode(checkpoint: Checkpoint): Buffer {
  const header: HeaderJson = {
    format: FORMAT,
    dir: checkpoint.dir,
    positions: checkpoint.positions,
    stream: checkpoint.stream ?? null,
    totals: {
      perSource: checkpoint.totals.perSource,
      skippedByReason: [...checkpoint.totals.skippedByReason],
      rejectedByKind: [...checkpoint.totals.rejectedByKind],
    },
    rebuilds: checkpoint.rebuilds,
    rejectedFileSize: checkpoint.rejectedFileSize,
    rejectedFileId: checkpoint.rejectedFileId ?? null,
    alertsFileSize: checkpoint.alertsFileSize,
    activeAlerts: checkpoint.activeAlerts,
    savedAt: checkpoint.savedAt,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  return Buffer.concat([MAGIC, length, headerBytes, encodeState(checkpoint.state)]);
}

export function checkpointPath(stateDir: string): string {
  return path.join(stateDir, CHECKPOINT_FILE);
}

export function saveCheckpoint(stateDir: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(checkpointPath(stateDir), encode(checkpoint));
}

export function saveCheckpointSync(stateDir: string, checkpoint: Checkpoint): void {
  writeFileAtomicSync(checkpointPath(stateDir), encode(checkpoint));
}

/** Why a checkpoint could not be used; the caller replays from scratch instead. */
export type LoadResult = { readonly ok: true; readonly checkpoint: Checkpoint } | { readonly ok: false; readonly why: string };

export function loadCheckpoint(stateDir: string, dir: string): LoadResult {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(checkpointPath(stateDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, why: 'no checkpoint' };
    return { ok: false, why: `checkpoint unreadable: ${(error as Error).message}` };
  }
  try {
    if (bytes.length < 8 || !bytes.subarray(0, 4).equals(MAGIC)) return { ok: false, why: 'not a checkpoint file' };
    const headerLength = bytes.readUInt32BE(4);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as HeaderJson;
    if (header.format !== FORMAT) return { ok: false, why: `checkpoint format ${header.format}, expected ${FORMAT}` };
    if (header.dir !== dir && path.resolve(header.dir) !== path.resolve(dir)) return { ok: false, why: `checkpoint is for ${header.dir}` };
    const totals = emptyTotals();
    for (const kind of SOURCE_KINDS) Object.assign(totals.perSource[kind], header.totals.perSource[kind]);
    for (const [reason, count] of header.totals.skippedByReason) totals.skippedByReason.set(reason, count);
    for (const [key, count] of header.totals.rejectedByKind ?? []) totals.rejectedByKind.set(key, count);
    const state = decodeState(bytes.subarray(8 + headerLength));
    return { ok: true, checkpoint: { ...header, totals, state } };
  } catch (error) {
    return { ok: false, why: `checkpoint corrupt: ${(error as Error).message}` };
  }
}
