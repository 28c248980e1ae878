import type { TelemetryEvent } from '../../domain/events.js';
import { ExactFloatColumn, Int32Column } from '../store/columns.js';
import { type Change, NO_QUALITY } from './changes.js';
import { InvocationTable, type InvocationTableData, type StoredInvocation } from '../store/invocationTable.js';
import { KeyIndex, type KeyIndexData } from '../store/keyIndex.js';

/**
 * The join index every projection relies on: the current record per invocation (a later
 * record replaces an earlier one), the last rating per invocation, and the first-seen
 * position of each workflow. Sequence numbers are positions within one file, so they do not
 * depend on how the three files interleave.
 */
export interface LedgerState {
  /** invocation_id -> first-seen position (row of `table`). */
  readonly invocationIds: KeyIndex;
  readonly table: InvocationTable;
  /** Last quality rating per invocation row (1-5, fractions allowed), NO_QUALITY when unrated. */
  readonly quality: ExactFloatColumn;
  /** Ratings of invocations not seen yet, by invocation_id. */
  readonly pendingQuality: Map<string, number>;
  /** Per workflow (pool number): position of its first workflow event, -1 when it has none. */
  readonly groupSeq: Int32Column;
  groupCount: number;
}

export function initialLedger(): LedgerState {
  return {
    invocationIds: new KeyIndex(),
    table: new InvocationTable(),
    quality: new ExactFloatColumn(),
    pendingQuality: new Map(),
    groupSeq: new Int32Column(-1),
    groupCount: 0,
  };
}

/** Records the event in the ledger and returns what it changes. */
export function resolveChange(ledger: LedgerState, event: TelemetryEvent): Change {
  const table = ledger.table;
  switch (event.kind) {
    case 'invocation': {
      const ids = ledger.invocationIds;
      const countBefore = ids.size;
      const seq = ids.ref(event.invocationId);
      const known = ids.size === countBefore;
      const prev = known ? table.read(seq, true) : undefined;
      let quality = NO_QUALITY;
      if (known) quality = ledger.quality.get(seq);
      // Most logs rate an invocation after it is logged: no lookup (a hash of the id) when none wait.
      else if (ledger.pendingQuality.size > 0) {
        const pending = ledger.pendingQuality.get(event.invocationId);
        if (pending !== undefined) {
          quality = pending;
          ledger.pendingQuality.delete(event.invocationId);
          ledger.quality.set(seq, pending);
        }
      }
      // Built field by field (not spread): one object shape, and this runs once per invocation line.
      const next: StoredInvocation = {
        seq,
        timestamp: event.timestamp,
        timeUs: event.timeUs,
        sessionRef: event.sessionId === null ? -1 : table.sessions.ref(event.sessionId),
        workflowId: event.workflowId,
        workflowRef: table.workflows.refOrNull(event.workflowId),
        agentName: event.agentName,
        agentRef: table.words.ref(event.agentName),
        agentType: event.agentType,
        taskLower: event.taskDescription.toLowerCase(),
        taskType: event.taskType,
        status: event.status,
        durationSeconds: event.durationSeconds,
        errorMessage: event.errorMessage,
      };
      table.write(next);
      return { kind: 'invocation', prev, next, quality };
    }
    case 'metric': {
      const seq = ledger.invocationIds.find(event.invocationId);
      if (seq < 0) {
        const prevQuality = ledger.pendingQuality.get(event.invocationId) ?? NO_QUALITY;
        ledger.pendingQuality.set(event.invocationId, event.qualityRating);
        return { kind: 'metric', invocation: undefined, prevQuality, quality: event.qualityRating };
      }
      const prevQuality = ledger.quality.get(seq);
      ledger.quality.set(seq, event.qualityRating);
      return { kind: 'metric', invocation: table.read(seq), prevQuality, quality: event.qualityRating };
    }
    default: {
      const workflowRef = table.workflows.ref(event.workflowId);
      let groupSeq = ledger.groupSeq.get(workflowRef);
      if (groupSeq < 0) {
        groupSeq = ledger.groupCount++;
        ledger.groupSeq.set(workflowRef, groupSeq);
      }
      const sessionRef = event.sessionId === null ? -1 : table.sessions.ref(event.sessionId);
      return { kind: 'workflow', event, groupSeq, workflowRef, sessionRef };
    }
  }
}

export interface LedgerData {
  readonly invocationIds: KeyIndexData;
  readonly table: InvocationTableData;
  readonly quality: Uint8Array | Float32Array | Float64Array;
  readonly pendingQuality: ReadonlyArray<readonly [string, number]>;
  readonly groupSeq: Int32Array;
  readonly groupCount: number;
}

export function ledgerToData(ledger: LedgerState): LedgerData {
  return {
    invocationIds: ledger.invocationIds.toData(),
    table: ledger.table.toData(),
    quality: ledger.quality.toArray(),
    pendingQuality: [...ledger.pendingQuality],
    groupSeq: ledger.groupSeq.toArray(),
    groupCount: ledger.groupCount,
  };
}

export function ledgerFromData(data: LedgerData): LedgerState {
  return {
    invocationIds: KeyIndex.fromData(data.invocationIds),
    table: InvocationTable.fromData(data.table),
    quality: ExactFloatColumn.from(data.quality),
    pendingQuality: new Map(data.pendingQuality),
    groupSeq: Int32Column.from(data.groupSeq, -1),
    groupCount: data.groupCount,
  };
}
