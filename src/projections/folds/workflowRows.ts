import type { LedgerState } from './ledger.js';

/**
 * The invocations of each workflow (by workflow_id), ordered by timestamp, then by first-seen
 * position. Built in one pass with a counting sort over the invocation columns; invocations
 * whose timestamp does not parse are left out (they have no place in time).
 */
export interface WorkflowRows {
  /** rows.subarray(start[ref], start[ref + 1]) are workflow `ref`'s invocation rows. */
  readonly start: Int32Array;
  readonly rows: Int32Array;
}

export function groupRowsByWorkflow(ledger: LedgerState): WorkflowRows {
  const table = ledger.table;
  const workflows = table.workflows.size;
  const start = new Int32Array(workflows + 1);
  for (let seq = 0; seq < table.size; seq++) {
    const ref = table.workflowRefAt(seq);
    if (ref >= 0 && !Number.isNaN(table.timeUsAt(seq))) start[ref + 1] = (start[ref + 1] as number) + 1;
  }
  for (let ref = 0; ref < workflows; ref++) start[ref + 1] = (start[ref + 1] as number) + (start[ref] as number);
  const rows = new Int32Array(start[workflows] as number);
  const fill = start.slice(0, workflows);
  for (let seq = 0; seq < table.size; seq++) {
    const ref = table.workflowRefAt(seq);
    if (ref < 0 || Number.isNaN(table.timeUsAt(seq))) continue;
    const at = fill[ref] as number;
    rows[at] = seq;
    fill[ref] = at + 1;
  }
  // Rows went in by position; an insertion sort by time keeps ties in that order.
  for (let ref = 0; ref < workflows; ref++) {
    const from = start[ref] as number;
    const to = start[ref + 1] as number;
    for (let i = from + 1; i < to; i++) {
      const row = rows[i] as number;
      const time = table.timeUsAt(row);
      let j = i - 1;
      while (j >= from && table.timeUsAt(rows[j] as number) > time) {
        rows[j + 1] = rows[j] as number;
        j--;
      }
      rows[j + 1] = row;
    }
  }
  return { start, rows };
}
