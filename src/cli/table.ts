import { oneLine } from './terminalText.js';

/** Aligned plain-text tables for people: numbers right-aligned, text left-aligned. */
export type Cell = string | number;

/** Every cell is one line with its control characters escaped (see terminalText.ts). */
export function renderTable(headers: readonly string[], rawRows: ReadonlyArray<readonly Cell[]>): string {
  const rows = rawRows.map((r) => r.map((cell) => (typeof cell === 'number' ? cell : oneLine(cell))));
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(String(r[i] ?? '')))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: readonly Cell[], header: boolean) =>
    cells
      .map((cell, i) => {
        const text = String(cell);
        const pad = ' '.repeat(Math.max(0, (widths[i] as number) - width(text)));
        return numeric[i] && !header ? pad + text : text + pad;
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers, true), rule, ...rows.map((r) => line(r, false))].join('\n');
}

/** Display width: code points (good enough for names; wide CJK glyphs are rare here). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
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
