import { deserialize, serialize } from 'node:v8';
import { ExactSum } from '../domain/exactSum.js';
import * as coordinationOverhead from '../projections/folds/coordinationOverhead.js';
import { FirstSeenCounts } from '../projections/store/firstSeenCounts.js';
import { type LedgerData, ledgerFromData, ledgerToData } from '../projections/folds/ledger.js';
import * as openWorkflows from '../projections/folds/openWorkflows.js';
import * as rollingSuccess from '../projections/folds/rollingSuccess.js';
import * as statistics from '../projections/folds/statistics.js';
import { StringExtremes } from '../projections/store/stringExtremes.js';
import type { EventCounts, TelemetryState } from '../projections/folds/telemetryState.js';
import * as workflowDetails from '../projections/folds/workflowDetails.js';
import * as workflowStats from '../projections/folds/workflowStats.js';
import * as workflowTimings from '../projections/folds/workflowTimings.js';

/**
 * The whole TelemetryState as checkpoint bytes, so a restart folds on from where it stopped
 * instead of replaying every file. Layout: "OAKS", u32 header length, JSON header, v8 payload.
 * The payload is the state's data form: columns as typed arrays (v8 copies them as bytes),
 * pools as string lists; the Maps that index them are rebuilt on restore.
 * Anything unexpected throws StateCodecError: the caller's answer is always a full replay,
 * never a state that is slightly wrong.
 *
 * Damage is not this codec's to detect: v8 happily decodes a flipped bit into a wrong number,
 * and the checkpoint file's one digest (checkpointStore) covers these bytes and the header
 * around them, so they are checked once, before they get here. (It lives in io/ because it
 * uses node:v8; projections stay free of node: modules.)
 */
export const CODEC_VERSION = 6;

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
}

const SCHEMAS: Readonly<Record<string, number>> = {
  statistics: statistics.schemaVersion,
  workflows: workflowStats.schemaVersion,
  timings: workflowTimings.schemaVersion,
  overhead: coordinationOverhead.schemaVersion,
  open: openWorkflows.schemaVersion,
  rolling: rollingSuccess.schemaVersion,
  details: workflowDetails.schemaVersion,
  // What decode lets through (src/decode/limits.ts): a state folded under older rules may hold
  // lines these reject (a 1 MB agent name, a negative duration), which a replay would not.
  decode: 2,
};

export function encodeState(state: TelemetryState): Buffer {
  const data: StateData = {
    ledger: ledgerToData(state.ledger),
    statistics: state.statistics,
    workflows: workflowStats.toData(state.workflows),
    timings: workflowTimings.toData(state.timings),
    overhead: coordinationOverhead.toData(state.overhead),
    open: openWorkflows.toData(state.open),
    rolling: state.rolling,
    details: workflowDetails.toData(state.details),
    counts: state.counts,
  };
  const payload = serialize(data);
  const header: Header = {
    codec: CODEC_VERSION,
    node: process.version,
    schemas: SCHEMAS,
    payloadBytes: payload.length,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(headerBytes.length, MAGIC.length);
  return Buffer.concat([prefix, headerBytes, payload]);
}

export function decodeState(bytes: Buffer): TelemetryState {
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
  try {
    return fromData(deserialize(payload) as StateData);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StateCodecError(`state checkpoint (written by Node ${header.node}) cannot be restored: ${reason}`, { cause });
  }
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
  return header as Header;
}

interface StateData {
  readonly ledger: LedgerData;
  readonly statistics: statistics.StatisticsState;
  readonly workflows: workflowStats.WorkflowStatsData;
  readonly timings: workflowTimings.WorkflowTimingsData;
  readonly overhead: coordinationOverhead.OverheadData;
  readonly open: openWorkflows.OpenWorkflowsData;
  readonly rolling: rollingSuccess.RollingSuccessState;
  readonly details: workflowDetails.WorkflowDetailsData;
  readonly counts: EventCounts;
}

function fromData(data: StateData): TelemetryState {
  reviveStatistics(data.statistics);
  reviveRolling(data.rolling);
  return {
    ledger: ledgerFromData(data.ledger),
    statistics: data.statistics,
    workflows: workflowStats.fromData(data.workflows),
    timings: workflowTimings.fromData(data.timings),
    overhead: coordinationOverhead.fromData(data.overhead),
    open: openWorkflows.fromData(data.open),
    rolling: data.rolling,
    details: workflowDetails.fromData(data.details),
    counts: data.counts,
  };
}

// v8 keeps every property (TS `private` ones too) but drops prototypes: put the classes back
// where a projection keeps them as objects. A class added to a projection must be added here.

function reattach(value: object, cls: typeof ExactSum | typeof StringExtremes): void {
  Object.setPrototypeOf(value, cls.prototype);
}

function reviveStatistics(stats: statistics.StatisticsState): void {
  for (const totals of stats.agents.values()) {
    reattach(totals.duration, ExactSum);
    reattach(totals.quality, ExactSum);
    FirstSeenCounts.revive(totals.taskTypes);
  }
  FirstSeenCounts.revive(stats.agentOrder);
  reattach(stats.timestamps, StringExtremes);
}

function reviveRolling(rolling: rollingSuccess.RollingSuccessState): void {
  for (const seen of rolling.seen.values()) reattach(seen.times, StringExtremes);
  FirstSeenCounts.revive(rolling.order);
}
