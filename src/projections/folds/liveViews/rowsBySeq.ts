import { Int32Column } from '../../store/columns.js';
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

function link(rows: RowsBySeq, ref: number, seq: number): void {
  const tail = rows.tail.get(ref);
  rows.next.set(seq, -1);
  if (tail < 0) {
    rows.head.set(ref, seq);
    rows.tail.set(ref, seq);
    return;
  }
  if (tail < seq) {
    rows.next.set(tail, seq);
    rows.tail.set(ref, seq);
    return;
  }
  // A replacement moved an older row into this workflow: its place by seq.
  let prev = -1;
  let at = rows.head.get(ref);
  while (at >= 0 && at < seq) {
    prev = at;
    at = rows.next.get(at);
  }
  rows.next.set(seq, at);
  if (prev < 0) rows.head.set(ref, seq);
  else rows.next.set(prev, seq);
}

function unlink(rows: RowsBySeq, ref: number, seq: number): void {
  let prev = -1;
  let at = rows.head.get(ref);
  while (at >= 0 && at !== seq) {
    prev = at;
    at = rows.next.get(at);
  }
  if (at < 0) throw new Error(`rows by seq: row ${seq} is not in workflow ${ref}'s chain`);
  const following = rows.next.get(seq);
  if (prev < 0) rows.head.set(ref, following);
  else rows.next.set(prev, following);
  if (following < 0) rows.tail.set(ref, prev);
  rows.next.set(seq, -1);
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
