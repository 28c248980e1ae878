import { deserialize, serialize } from 'node:v8';
import { ExactSum } from '../domain/exactSum.js';
import * as coordinationOverhead from '../projections/folds/coordinationOverhead.js';
import { FirstSeenCounts } from '../projections/store/firstSeenCounts.js';
import { type LedgerData, ledgerFromData, ledgerToData } from '../projections/folds/ledger.js';
import * as liveViewsData from '../projections/folds/liveViews/liveViewsData.js';
import * as openWorkflows from '../projections/folds/openWorkflows.js';
import * as rollingSuccess from '../projections/folds/rollingSuccess.js';
import * as runHistory from '../projections/folds/runHistory.js';
import * as statistics from '../projections/folds/statistics.js';
import { StringExtremes } from '../projections/store/stringExtremes.js';
import type { EventCounts, TelemetryState } from '../projections/folds/telemetryState.js';
import * as workflowDetails from '../projections/folds/workflowDetails.js';
import * as workflowStats from '../projections/folds/workflowStats.js';
import * as workflowTimings from '../projections/folds/workflowTimings.js';

/**
 * The whole TelemetryState as checkpoint bytes, so a restart folds on from where it stopped
 * instead of replaying every file. Layout: "OAKS", u32 header length, JSON header, then one v8
 * payload per projection (the header lists their lengths). Each is the projection's data form:
 * columns as typed arrays (v8 copies them as bytes), pools as string lists; the Maps that index
 * them are rebuilt on restore. Separate payloads let a query decode only the projections it
 * reads (best-agent: the ledger alone), see `lazy` in decodeState.
 * Anything unexpected throws StateCodecError: the caller's answer is always a full replay,
 * never a state that is slightly wrong.
 *
 * Damage is not this codec's to detect: v8 happily decodes a flipped bit into a wrong number,
 * and the checkpoint file's one digest (checkpointStore) covers these bytes and the header
 * around them, so they are checked once, before they get here. (It lives in io/ because it
 * uses node:v8; projections stay free of node: modules.)
 */
export const CODEC_VERSION = 7;

const MAGIC = Buffer.from('OAKS', 'latin1');
const PREFIX_BYTES = MAGIC.length + 4;

/** A checkpoint this build cannot restore; replay the files instead. */
export class StateCodecError extends Error {
  override readonly name = 'StateCodecError';
}

interface Header {
  readonly codec: number;
  /** Who wrote it; v8 reads older payloads but not newer ones, so this explains a failure. */
  readonly node: string;
  /** A projection whose schemaVersion changed folds into a different shape: replay instead. */
  readonly schemas: Readonly<Record<string, number>>;
  readonly payloadBytes: number;
  /** Each projection's payload length, in SECTIONS order. */
  readonly sections: readonly number[];
}

const SCHEMAS: Readonly<Record<string, number>> = {
  statistics: statistics.schemaVersion,
  workflows: workflowStats.schemaVersion,
  timings: workflowTimings.schemaVersion,
  overhead: coordinationOverhead.schemaVersion,
  open: openWorkflows.schemaVersion,
  rolling: rollingSuccess.schemaVersion,
  details: workflowDetails.schemaVersion,
  history: runHistory.schemaVersion,
  views: liveViewsData.schemaVersion,
  // What decode lets through (src/decode/limits.ts): a state folded under older rules may hold
  // lines these reject (a 1 MB agent name, a negative duration), which a replay would not.
  decode: 2,
};

/**
 * How each projection becomes its payload and back. fromData may read projections listed
 * before it from `state` (the live views index the ledger's rows).
 */
const SECTIONS: { readonly [K in keyof TelemetryState]: { toData(state: TelemetryState): unknown; fromData(data: never, state: TelemetryState): TelemetryState[K] } } = {
  ledger: { toData: (s) => ledgerToData(s.ledger), fromData: (d: LedgerData) => ledgerFromData(d) },
  statistics: { toData: (s) => s.statistics, fromData: (d: statistics.StatisticsState) => reviveStatistics(d) },
  workflows: { toData: (s) => workflowStats.toData(s.workflows), fromData: (d: workflowStats.WorkflowStatsData) => workflowStats.fromData(d) },
  timings: { toData: (s) => workflowTimings.toData(s.timings), fromData: (d: workflowTimings.WorkflowTimingsData) => workflowTimings.fromData(d) },
  overhead: { toData: (s) => coordinationOverhead.toData(s.overhead), fromData: (d: coordinationOverhead.OverheadData) => coordinationOverhead.fromData(d) },
  open: { toData: (s) => openWorkflows.toData(s.open), fromData: (d: openWorkflows.OpenWorkflowsData) => openWorkflows.fromData(d) },
  rolling: { toData: (s) => s.rolling, fromData: (d: rollingSuccess.RollingSuccessState) => reviveRolling(d) },
  details: { toData: (s) => workflowDetails.toData(s.details), fromData: (d: workflowDetails.WorkflowDetailsData) => workflowDetails.fromData(d) },
  history: { toData: (s) => s.history, fromData: (d: runHistory.RunHistoryState) => d },
  // Built when first read if the checkpoint was taken before they were.
  views: { toData: (s) => liveViewsData.toData(s.views), fromData: (d: liveViewsData.LiveViewsData | null, state) => liveViewsData.fromData(d, { ledger: state.ledger }) },
  counts: { toData: (s) => s.counts, fromData: (d: EventCounts) => d },
};
const SECTION_NAMES = Object.keys(SECTIONS) as ReadonlyArray<keyof TelemetryState>;

export function encodeState(state: TelemetryState): Buffer {
  return Buffer.concat(encodeStateParts(state));
}

/**
 * encodeState's bytes as the parts they are made of (prefix and header, then each payload), to
 * be written one after the other: a checkpoint at 100k workflows is ~65 MB, and joining it into
 * one Buffer cost a copy of all of it at every checkpoint.
 */
export function encodeStateParts(state: TelemetryState): Buffer[] {
  return runSteps(encodeStateInSteps(state));
}

/**
 * encodeStateParts one projection per step (each `next()` serializes one; the last returns the
 * parts): a checkpoint encoded across turns of the event loop, by a caller that keeps the state
 * still meanwhile, is the same bytes.
 */
export function* encodeStateInSteps(state: TelemetryState): Generator<void, Buffer[], void> {
  const payloads: Buffer[] = [];
  for (const name of SECTION_NAMES) {
    payloads.push(serialize(SECTIONS[name].toData(state)));
    yield;
  }
  const payloadBytes = payloads.reduce((sum, p) => sum + p.length, 0);
  const header: Header = {
    codec: CODEC_VERSION,
    node: process.version,
    schemas: SCHEMAS,
    payloadBytes,
    sections: payloads.map((p) => p.length),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(headerBytes.length, MAGIC.length);
  return [prefix, headerBytes, ...payloads];
}

/** Runs a generator of steps to its end, all at once. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/**
 * The state in `bytes`. With `lazy`, each projection is decoded when first read (a query reads
 * one or two of nine); only for bytes this very Node version wrote, whose checksum the caller
 * has checked: v8 reads its own output back, so nothing is left to fail later that would have
 * failed now. Bytes from another Node version are decoded at once, so a refusal still comes
 * here, as a StateCodecError, and the caller replays.
 */
export function decodeState(bytes: Buffer, lazy = false): TelemetryState {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StateCodecError('not a state checkpoint (no OAKS magic)');
  }
  const headerEnd = PREFIX_BYTES + bytes.readUInt32BE(MAGIC.length);
  if (headerEnd > bytes.length) throw new StateCodecError('state checkpoint truncated inside its header');
  const header = parseHeader(bytes.subarray(PREFIX_BYTES, headerEnd));
  const payload = bytes.subarray(headerEnd);
  if (payload.length !== header.payloadBytes) {
    throw new StateCodecError(`state checkpoint has ${payload.length} payload bytes, header says ${header.payloadBytes}`);
  }
  const parts = new Map<keyof TelemetryState, Buffer>();
  let at = 0;
  SECTION_NAMES.forEach((name, i) => {
    const length = header.sections[i] as number;
    parts.set(name, payload.subarray(at, at + length));
    at += length;
  });
  if (at !== payload.length) throw new StateCodecError(`state checkpoint sections hold ${at} bytes, its payload ${payload.length}`);
  const state: Record<string, unknown> = {};
  const decode = <K extends keyof TelemetryState>(name: K): TelemetryState[K] => {
    try {
      return SECTIONS[name].fromData(deserialize(parts.get(name) as Buffer) as never, state as unknown as TelemetryState);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new StateCodecError(`state checkpoint (written by Node ${header.node}) cannot be restored (${name}): ${reason}`, { cause });
    }
  };
  if (!lazy || header.node !== process.version) {
    for (const name of SECTION_NAMES) state[name] = decode(name);
    return state as unknown as TelemetryState;
  }
  for (const name of SECTION_NAMES) {
    Object.defineProperty(state, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = decode(name);
        Object.defineProperty(state, name, { value, enumerable: true, writable: false, configurable: false });
        return value;
      },
    });
  }
  return state as unknown as TelemetryState;
}

function parseHeader(bytes: Buffer): Header {
  let header: Partial<Header>;
  try {
    header = JSON.parse(bytes.toString('utf8')) as Partial<Header>;
  } catch (cause) {
    throw new StateCodecError('state checkpoint header is not JSON', { cause });
  }
  if (header.codec !== CODEC_VERSION) {
    throw new StateCodecError(`state checkpoint codec ${String(header.codec)}, this build reads ${CODEC_VERSION}`);
  }
  if (JSON.stringify(header.schemas) !== JSON.stringify(SCHEMAS)) {
    throw new StateCodecError(`state checkpoint projection schemas ${JSON.stringify(header.schemas)}, this build has ${JSON.stringify(SCHEMAS)}`);
  }
  if (typeof header.payloadBytes !== 'number') throw new StateCodecError('state checkpoint header lacks its payload length');
  if (!Array.isArray(header.sections) || header.sections.length !== SECTION_NAMES.length || !header.sections.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new StateCodecError('state checkpoint header lacks its section lengths');
  }
  return header as Header;
}

// v8 keeps every property (TS `private` ones too) but drops prototypes: put the classes back
// where a projection keeps them as objects. A class added to a projection must be added here.

function reattach(value: object, cls: typeof ExactSum | typeof StringExtremes): void {
  Object.setPrototypeOf(value, cls.prototype);
}

function reviveStatistics(stats: statistics.StatisticsState): statistics.StatisticsState {
  for (const totals of stats.agents.values()) {
    reattach(totals.duration, ExactSum);
    reattach(totals.quality, ExactSum);
    FirstSeenCounts.revive(totals.taskTypes);
  }
  FirstSeenCounts.revive(stats.agentOrder);
  reattach(stats.timestamps, StringExtremes);
  return stats;
}

function reviveRolling(rolling: rollingSuccess.RollingSuccessState): rollingSuccess.RollingSuccessState {
  for (const seen of rolling.seen.values()) reattach(seen.times, StringExtremes);
  FirstSeenCounts.revive(rolling.order);
  return rolling;
}
