import { Int32Column } from '../../store/columns.js';
import { insertBefore, unlinkItem } from './columnChains.js';
import type { StoredInvocation } from '../../store/invocationTable.js';
import type { LedgerState } from '../ledger.js';

/**
 * Each workflow's invocation rows in first-seen order (seq), every row whatever its timestamp:
 * the open-workflows answer reads the agents of the few open workflows from these chains
 * instead of walking every invocation on each snapshot. Built when first read (one pass) and
 * kept current per invocation change from then on; checkpointed once built (rowsBySeqData).
 */
export interface RowsBySeq {
  /** Per workflow number: its first and last row, -1 when none. */
  readonly head: Int32Column;
  readonly tail: Int32Column;
  /** Per row: the workflow's next row, -1 at the end. */
  readonly next: Int32Column;
}

function empty(): RowsBySeq {
  return { head: new Int32Column(-1), tail: new Int32Column(-1), next: new Int32Column(-1) };
}

/** Seq order: a later row follows. */
function bySeq(_: null, row: number, other: number): boolean {
  return other > row;
}

function link(rows: RowsBySeq, ref: number, seq: number): void {
  const tail = rows.tail.get(ref);
  if (tail < seq) {
    // First-seen rows arrive in seq order: the common case appends without walking.
    rows.next.set(seq, -1);
    if (tail < 0) rows.head.set(ref, seq);
    else rows.next.set(tail, seq);
    rows.tail.set(ref, seq);
    return;
  }
  // A replacement moved an older row into this workflow: its place by seq.
  insertBefore(rows.head, rows.next, ref, seq, bySeq, null);
}

function unlink(rows: RowsBySeq, ref: number, seq: number): void {
  const wasLast = rows.next.get(seq) < 0;
  const prev = unlinkItem(rows.head, rows.next, ref, seq);
  if (wasLast) rows.tail.set(ref, prev);
}

export interface RowsBySeqData {
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly next: Int32Array;
}

export function rowsBySeqData(rows: RowsBySeq): RowsBySeqData {
  return { head: rows.head.toArray(), tail: rows.tail.toArray(), next: rows.next.toArray() };
}

export function rowsBySeqFrom(data: RowsBySeqData): RowsBySeq {
  return { head: Int32Column.from(data.head, -1), tail: Int32Column.from(data.tail, -1), next: Int32Column.from(data.next, -1) };
}

export function buildRowsBySeq(ledger: LedgerState): RowsBySeq {
  const rows = empty();
  const table = ledger.table;
  for (let seq = 0; seq < table.size; seq++) {
    const ref = table.workflowRefAt(seq);
    if (ref >= 0) link(rows, ref, seq);
  }
  return rows;
}

/** After an invocation change: the row leaves its old workflow's chain and joins its new one's. */
export function moveRow(rows: RowsBySeq, prev: StoredInvocation | undefined, next: StoredInvocation): void {
  if (prev !== undefined && prev.workflowRef >= 0) unlink(rows, prev.workflowRef, prev.seq);
  if (next.workflowRef >= 0) link(rows, next.workflowRef, next.seq);
}

/** The workflow's rows in seq order. */
export function* rowsOf(rows: RowsBySeq, ref: number): Generator<number> {
  for (let at = rows.head.get(ref); at >= 0; at = rows.next.get(at)) yield at;
}
