import { createHash } from 'node:crypto';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { SOURCE_KINDS } from '../domain/sources.js';
import { emptyTotals, type IngestTotals, type SourceTally } from '../pipeline/ingest.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import type { ActiveAlert } from '../queries/alerts.js';
import type { StreamPosition } from '../domain/streamPosition.js';
import type { HookErrorsSaved } from './hookErrorFollower.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomicFile.js';
import type { SourcePositions } from './sourceSet.js';
import { decodeState, encodeStateInSteps, encodeStateParts } from './stateCodec.js';
import { readRegularFile } from './regularFile.js';
import { CHECKPOINT_FILE, type CheckpointRead } from './checkpointPrefetch.js';

/**
 * The checkpoint: the full state and the file positions it corresponds to, in ONE file written
 * atomically, so a restart (even after kill -9) never pairs a state with the wrong offsets.
 * Layout: "OAKC", u32 header length, JSON header, the encoded state, then the CRC-32 of all the
 * bytes before it. One checksum covers the whole file: the header's offsets and totals matter as
 * much as the state (an edited "applied" count would show in health after a restart), and the
 * state's own bytes need no second hash. A file that fails it is refused, never half-trusted.
 */
export { CHECKPOINT_FILE } from './checkpointPrefetch.js';
const MAGIC = Buffer.from('OAKC');
/**
 * 2: a SHA-1 covers the whole file (format 1 checked the state's bytes only). 3: a CRC-32
 * instead: it guards against damage, not attackers, as the SHA-1 did, and catches every
 * single-bit flip and every burst up to 32 bits; zlib's is ~4x faster than SHA-1 over the
 * 20 MiB a 30k-workflow checkpoint holds (a query from the checkpoint pays it every time).
 */
const FORMAT = 3;
const DIGEST_BYTES = 4;

function digest(...parts: Buffer[]): Buffer {
  let crc = 0;
  for (const part of parts) crc = crc32(part, crc);
  const out = Buffer.alloc(DIGEST_BYTES);
  out.writeUInt32BE(crc >>> 0);
  return out;
}

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
  /** The hook errors counted and how far hook-errors.jsonl was read; absent in checkpoints written before it existed. */
  readonly hookErrors?: HookErrorsSaved | null;
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

export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  return Buffer.concat(encodeCheckpointParts(checkpoint));
}

/** encodeCheckpoint's bytes in parts, written as they are (see encodeStateParts). */
function encodeCheckpointParts(checkpoint: Checkpoint): Buffer[] {
  const parts = [...headerParts(checkpoint), ...encodeStateParts(checkpoint.state)];
  return [...parts, digest(...parts)];
}

/** Bytes checksummed per step of encodeCheckpointInSteps (zlib's CRC-32: a few ms). */
const CRC_STEP = 8 * 1024 * 1024;

/**
 * encodeCheckpointParts' bytes, made in steps with `between()` awaited after each (a projection
 * serialized, or CRC_STEP bytes checksummed): ~0.1-0.3 s of encoding at 100k workflows, which
 * in one piece stalled every request and line meanwhile. The caller keeps the checkpoint's
 * state and positions still until this resolves (the daemon holds the source's reads).
 */
export async function encodeCheckpointInSteps(checkpoint: Checkpoint, between: () => Promise<void>, crcStep = CRC_STEP): Promise<Buffer[]> {
  const head = headerParts(checkpoint);
  const state = encodeStateInSteps(checkpoint.state);
  for (let step = state.next(); ; step = state.next()) {
    if (step.done === true) {
      head.push(...step.value);
      break;
    }
    await between();
  }
  let crc = 0;
  let since = 0;
  for (const part of head) {
    for (let at = 0; at < part.length; at += crcStep) {
      const piece = part.subarray(at, at + crcStep);
      crc = crc32(piece, crc);
      since += piece.length;
      if (since >= crcStep) {
        since = 0;
        await between();
      }
    }
  }
  const out = Buffer.alloc(DIGEST_BYTES);
  out.writeUInt32BE(crc >>> 0);
  return [...head, out];
}

/** The checkpoint's own header: magic, length, JSON (positions, totals, logs' sizes). */
function headerParts(checkpoint: Checkpoint): Buffer[] {
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
    hookErrors: checkpoint.hookErrors ?? null,
    savedAt: checkpoint.savedAt,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(headerBytes.length);
  return [MAGIC, length, headerBytes];
}

export function checkpointPath(stateDir: string): string {
  return path.join(stateDir, CHECKPOINT_FILE);
}

export function saveCheckpoint(stateDir: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(checkpointPath(stateDir), encodeCheckpointParts(checkpoint));
}

/** Parts from encodeCheckpointInSteps, written as saveCheckpoint writes its own. */
export function writeCheckpointParts(stateDir: string, parts: readonly Buffer[]): Promise<void> {
  return writeFileAtomic(checkpointPath(stateDir), parts);
}

export function saveCheckpointSync(stateDir: string, checkpoint: Checkpoint): void {
  writeFileAtomicSync(checkpointPath(stateDir), encodeCheckpointParts(checkpoint));
}

/** Why a checkpoint could not be used; the caller replays from scratch instead. */
export type LoadResult = { readonly ok: true; readonly checkpoint: Checkpoint } | { readonly ok: false; readonly why: string };

/**
 * `lazyState`: each projection is decoded when first read (see decodeState), for a one-off query.
 * `read`: the bytes read already (prefetchCheckpoint), else they are read here.
 */
export function loadCheckpoint(stateDir: string, dir: string, lazyState = false, read?: CheckpointRead): LoadResult {
  let bytes: Buffer | null;
  try {
    // Never a FIFO or a directory in its place: those would block or fail half-way.
    bytes = read !== undefined ? read() : readRegularFile(checkpointPath(stateDir));
  } catch (error) {
    return { ok: false, why: `checkpoint unreadable: ${(error as Error).message}` };
  }
  if (bytes === null) return { ok: false, why: 'no checkpoint' };
  return decodeCheckpoint(bytes, dir, lazyState);
}

/** The checkpoint in `bytes`, if they are whole, undamaged, of this format and for `dir`. */
export function decodeCheckpoint(bytes: Buffer, dir: string, lazyState = false): LoadResult {
  try {
    if (bytes.length < MAGIC.length + 4 + DIGEST_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      return { ok: false, why: 'not a checkpoint file' };
    }
    const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
    if (!digest(body).equals(bytes.subarray(body.length))) {
      // A whole format-2 file (its own SHA-1 holds) is named as such rather than "damaged". Only
      // then: one flipped bit can turn the header's "3" into a "2".
      if (formatOf(bytes) === 2 && isWholeFormat2(bytes)) return { ok: false, why: `checkpoint format 2, expected ${FORMAT}` };
      return { ok: false, why: 'checkpoint damaged: its checksum does not match its content (truncated or edited)' };
    }
    const headerEnd = 8 + body.readUInt32BE(4);
    if (headerEnd > body.length) return { ok: false, why: 'checkpoint corrupt: header longer than the file' };
    const header = JSON.parse(body.subarray(8, headerEnd).toString('utf8')) as HeaderJson;
    if (header.format !== FORMAT) return { ok: false, why: `checkpoint format ${header.format}, expected ${FORMAT}` };
    if (header.dir !== dir && path.resolve(header.dir) !== path.resolve(dir)) return { ok: false, why: `checkpoint is for ${header.dir}` };
    const totals = emptyTotals();
    for (const kind of SOURCE_KINDS) Object.assign(totals.perSource[kind], header.totals.perSource[kind]);
    for (const [reason, count] of header.totals.skippedByReason) totals.skippedByReason.set(reason, count);
    for (const [key, count] of header.totals.rejectedByKind ?? []) totals.rejectedByKind.set(key, count);
    const state = decodeState(body.subarray(headerEnd), lazyState);
    const { format: _format, ...meta } = header;
    return { ok: true, checkpoint: { ...meta, totals, state } };
  } catch (error) {
    return { ok: false, why: `checkpoint corrupt: ${(error as Error).message}` };
  }
}

/** Whether `bytes` end in the SHA-1 of what precedes it, as format 2 wrote them. */
function isWholeFormat2(bytes: Buffer): boolean {
  if (bytes.length < 20) return false;
  const body = bytes.subarray(0, bytes.length - 20);
  return createHash('sha1').update(body).digest().equals(bytes.subarray(body.length));
}

/** The format a file's header claims, to explain a refusal; undefined if unreadable. */
function formatOf(bytes: Buffer): unknown {
  try {
    const headerEnd = 8 + bytes.readUInt32BE(4);
    return (JSON.parse(bytes.subarray(8, headerEnd).toString('utf8')) as { format?: unknown }).format;
  } catch {
    return undefined;
  }
}
