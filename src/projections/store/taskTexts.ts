import { Int32Column } from './columns.js';

/**
 * The lower-cased task text of every invocation row. Rows are joined into one string per block
 * of BLOCK_ROWS (with each row's start offset), so 100k texts are ~100 strings, not 100k: no
 * per-string header in memory, one string per block in a checkpoint, and a keyword search is a
 * native indexOf over each block. The newest rows wait in a plain list until their block fills;
 * a text replaced in a sealed block is kept aside (rare: an update repeats the same task).
 */
export const BLOCK_ROWS = 1024;

// (The block size is a constructor argument so tests can seal blocks with a handful of rows.)

export interface TaskTextsData {
  readonly blocks: readonly string[];
  readonly starts: Int32Array;
  readonly open: readonly string[];
  readonly replaced: ReadonlyArray<readonly [number, string]>;
}

export class TaskTexts {
  private blocks: string[] = [];
  /** Start of each sealed row's text within its block. */
  private starts = new Int32Column();
  private open: string[] = [];
  private readonly replaced = new Map<number, string>();
  /** Derived, never stored: rebuilt by the searches that need it. */
  private readonly sealedHits = new SealedHits();

  constructor(private readonly blockRows: number = BLOCK_ROWS) {}

  get size(): number {
    return this.blocks.length * this.blockRows + this.open.length;
  }

  set(row: number, text: string): void {
    const sealedRows = this.blocks.length * this.blockRows;
    if (row >= sealedRows) {
      this.open[row - sealedRows] = text;
      if (this.open.length === this.blockRows) this.seal();
      return;
    }
    if (text === this.sealedText(row)) this.replaced.delete(row);
    else this.replaced.set(row, text);
  }

  at(row: number): string {
    const sealedRows = this.blocks.length * this.blockRows;
    if (row >= sealedRows) return this.open[row - sealedRows] as string;
    return this.replaced.get(row) ?? this.sealedText(row);
  }

  /**
   * Calls `hit(row)` once for each row whose text contains `needle` (rows in increasing order
   * within each block; the open rows last). Sealed blocks never change (a replaced text is kept
   * aside), so their hits for a needle are remembered: asking again scans only what was sealed
   * since, and the texts kept aside and the open rows.
   */
  forEachContaining(needle: string, hit: (row: number) => void): void {
    const known = this.sealedHits.take(needle);
    const rows = known?.rows ?? [];
    for (let b = known?.blocks ?? 0; b < this.blocks.length; b++) this.scanBlock(b, needle, rows);
    this.sealedHits.keep(needle, { blocks: this.blocks.length, rows });
    for (const row of rows) if (!this.replaced.has(row)) hit(row);
    for (const [row, text] of this.replaced) if (text.includes(needle)) hit(row);
    const sealedRows = this.blocks.length * this.blockRows;
    this.open.forEach((text, i) => {
      if (text.includes(needle)) hit(sealedRows + i);
    });
  }

  /** Adds to `rows` each row of sealed block `b` whose sealed text contains `needle`, in order. */
  private scanBlock(b: number, needle: string, rows: number[]): void {
    const block = this.blocks[b] as string;
    const first = b * this.blockRows;
    let row = first;
    let lastHit = -1;
    for (let at = block.indexOf(needle); at !== -1; at = block.indexOf(needle, at + 1)) {
      // The row holding `at`: rows only move forward as `at` does.
      while (row + 1 < first + this.blockRows && this.starts.get(row + 1) <= at) row++;
      if (row === lastHit || at + needle.length > this.endOf(row, b)) continue;
      lastHit = row;
      rows.push(row);
    }
  }

  toData(): TaskTextsData {
    return { blocks: this.blocks, starts: this.starts.toArray(), open: this.open, replaced: [...this.replaced] };
  }

  static fromData(data: TaskTextsData, blockRows: number = BLOCK_ROWS): TaskTexts {
    const texts = new TaskTexts(blockRows);
    if (data.starts.length !== data.blocks.length * blockRows || data.open.length >= blockRows) {
      throw new Error('task texts: blocks and offsets disagree');
    }
    texts.blocks = [...data.blocks];
    texts.starts = Int32Column.from(data.starts);
    texts.open = [...data.open];
    for (const [row, text] of data.replaced) texts.replaced.set(row, text);
    return texts;
  }

  private seal(): void {
    const first = this.blocks.length * this.blockRows;
    let at = 0;
    this.open.forEach((text, i) => {
      this.starts.set(first + i, at);
      at += text.length;
    });
    this.blocks.push(this.open.join(''));
    this.open = [];
  }

  private endOf(row: number, block: number): number {
    const last = (block + 1) * this.blockRows - 1;
    return row === last ? (this.blocks[block] as string).length : this.starts.get(row + 1);
  }

  private sealedText(row: number): string {
    const block = Math.floor(row / this.blockRows);
    return (this.blocks[block] as string).slice(this.starts.get(row), this.endOf(row, block));
  }
}

/** What a needle matched in the first `blocks` sealed blocks. */
interface NeedleHits {
  readonly blocks: number;
  readonly rows: number[];
}

/** Rows remembered across all needles; past this the least recently asked are forgotten. */
const MAX_REMEMBERED_ROWS = 1 << 20;

/** The sealed blocks' hits per needle, least recently asked first (a Map keeps insertion order). */
class SealedHits {
  private readonly byNeedle = new Map<string, NeedleHits>();
  private rows = 0;

  /** The hits known for `needle`, taken out until `keep` puts them back. */
  take(needle: string): NeedleHits | undefined {
    const known = this.byNeedle.get(needle);
    if (known === undefined) return undefined;
    this.byNeedle.delete(needle);
    this.rows -= known.rows.length;
    return known;
  }

  keep(needle: string, hits: NeedleHits): void {
    if (hits.rows.length > MAX_REMEMBERED_ROWS) return;
    this.byNeedle.set(needle, hits);
    this.rows += hits.rows.length;
    for (const [oldest, old] of this.byNeedle) {
      if (this.rows <= MAX_REMEMBERED_ROWS) break;
      this.byNeedle.delete(oldest);
      this.rows -= old.rows.length;
    }
  }
}
