import { cutToWidth, displayWidth, oneLine } from './terminalText.js';
import { UNLIMITED, type Layout } from './terminalLayout.js';

/** Aligned plain-text tables for people: numbers right-aligned, text left-aligned. */
export type Cell = string | number;

const GAP = 2;
/** Narrowest a cut column gets before the first column is cut too. */
const MIN_CUT = 6;

/**
 * Every cell is one line with its control characters escaped (see terminalText.ts). When the
 * natural widths do not fit `layout.width`, the text columns give up room widest first (all
 * are cut to one common width, those narrower keep theirs) and a cut cell ends in an ellipsis;
 * number columns are never cut.
 */
export function renderTable(
  headers: readonly string[],
  rawRows: ReadonlyArray<readonly Cell[]>,
  layout: Layout = UNLIMITED,
  /** Text columns never cut either (timestamps: a cut one reads as another time). */
  whole: readonly number[] = [],
): string {
  const rows = rawRows.map((r) => r.map((cell) => (typeof cell === 'number' ? cell : oneLine(cell))));
  const natural = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(String(r[i] ?? '')))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = fitWidths(natural, headers.map((_, i) => numeric[i] === true || whole.includes(i)), layout.width);
  const line = (cells: readonly Cell[], header: boolean) =>
    cells
      .map((cell, i) => {
        const w = widths[i] as number;
        const text = typeof cell === 'number' ? String(cell) : cutToWidth(cell, w, layout.ellipsis);
        const pad = ' '.repeat(Math.max(0, w - displayWidth(text)));
        return numeric[i] && !header ? pad + text : text + pad;
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join(' '.repeat(GAP));
  return [line(headers, true), rule, ...rows.map((r) => line(r, false))].join('\n');
}

/** Column widths within `limit`: the columns that may be cut share what the fixed ones leave. */
function fitWidths(natural: readonly number[], fixed: readonly boolean[], limit: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0) + GAP * (natural.length - 1);
  if (total <= limit) return [...natural];
  // The first column names the row: the others give up their room before it does, down to a
  // few characters each; it never takes more than half the line.
  const first = fixed[0] ? -1 : 0;
  const widthWith = (capFirst: number, cap: number) =>
    natural.reduce((sum, w, i) => sum + (fixed[i] ? w : Math.min(w, i === first ? capFirst : cap)), GAP * (natural.length - 1));
  let capFirst = first === 0 ? Math.min(natural[0] as number, Math.max(MIN_CUT, Math.floor(limit / 2))) : 0;
  let cap = Math.max(0, ...natural);
  while (cap > MIN_CUT && widthWith(capFirst, cap) > limit) cap--;
  while (capFirst > MIN_CUT && widthWith(capFirst, cap) > limit) capFirst--;
  if (widthWith(capFirst, cap) > limit) {
    while (cap > 1 && widthWith(Math.min(capFirst, cap), cap) > limit) cap--;
    capFirst = Math.min(capFirst, cap);
  }
  return natural.map((w, i) => (fixed[i] ? w : Math.min(w, i === first ? capFirst : cap)));
}

/** An ISO-8601 time to the second: a table has no room for microseconds. */
export function toSecond(timestamp: string): string {
  return timestamp.replace(/(T\d\d:\d\d:\d\d)\.\d+/, '$1');
}

/** "1 invocation", "2 invocations". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function percent(ratio: number, digits = 1): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
