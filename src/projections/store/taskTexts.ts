/**
 * The lower-cased task text of every invocation row. Rows are joined into one string per block
 * of BLOCK_ROWS (with each row's start offset), so 100k texts are ~100 strings, not 100k: no
 * per-string header in memory, one string per block in a checkpoint, and a keyword search is a
 * native indexOf over each block. The newest rows wait in a plain list until their block fills;
 * a text replaced in a sealed block is kept aside (rare: an update repeats the same task).
 */
export const BLOCK_ROWS = 1024;

// (The block size is a constructor argument so tests can seal blocks with a handful of rows.)

/** Where each row of a sealed block starts in it: 16 bits while the block is under 64 KiB. */
export type BlockStarts = Uint16Array | Uint32Array;

export interface TaskTextsData {
  readonly blocks: readonly string[];
  /** One per sealed block, blockRows long. */
  readonly starts: readonly BlockStarts[];
  readonly open: readonly string[];
  readonly replaced: ReadonlyArray<readonly [number, string]>;
}

export class TaskTexts {
  private blocks: string[] = [];
  /** Start of each sealed row's text within its block, one array per block. */
  private starts: BlockStarts[] = [];
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
    const rows = this.sealedRowsContaining(needle);
    if (this.replaced.size === 0) for (const row of rows) hit(row);
    else for (const row of rows) if (!this.replaced.has(row)) hit(row);
    this.forEachUnsealedContaining(needle, hit);
  }

  /**
   * Adds 1 to `counts[row]` for each row whose text contains `needle`: forEachContaining
   * without a call per row (a cold query from a checkpoint runs this loop unoptimized).
   */
  countContaining(needle: string, counts: Float64Array): void {
    const rows = this.sealedRowsContaining(needle);
    if (this.replaced.size === 0) for (const row of rows) counts[row] = (counts[row] as number) + 1;
    else for (const row of rows) if (!this.replaced.has(row)) counts[row] = (counts[row] as number) + 1;
    this.forEachUnsealedContaining(needle, (row) => (counts[row] = (counts[row] as number) + 1));
  }

  /** The sealed rows whose sealed text contains `needle`, in order (replaced texts not applied). */
  private sealedRowsContaining(needle: string): readonly number[] {
    const known = this.sealedHits.take(needle);
    const rows = known?.rows ?? [];
    for (let b = known?.blocks ?? 0; b < this.blocks.length; b++) this.scanBlock(b, needle, rows);
    this.sealedHits.keep(needle, { blocks: this.blocks.length, rows });
    return rows;
  }

  /** The texts kept aside and the open rows that contain `needle`. */
  private forEachUnsealedContaining(needle: string, hit: (row: number) => void): void {
    for (const [row, text] of this.replaced) if (text.includes(needle)) hit(row);
    const sealedRows = this.blocks.length * this.blockRows;
    this.open.forEach((text, i) => {
      if (text.includes(needle)) hit(sealedRows + i);
    });
  }

  /**
   * Adds to `rows` each row of sealed block `b` whose sealed text contains `needle`, in order.
   * After a hit the search goes on from the next row's start: a row counts once however often
   * it holds the needle, so its other occurrences need not be found.
   */
  private scanBlock(b: number, needle: string, rows: number[]): void {
    const block = this.blocks[b] as string;
    const starts = this.starts[b] as BlockStarts;
    const first = b * this.blockRows;
    const last = this.blockRows - 1;
    let i = 0;
    let at = block.indexOf(needle);
    while (at !== -1) {
      // The row holding `at`: the last whose start is at or before it (rows only move forward).
      while (i < last && (starts[i + 1] as number) <= at) i++;
      const end = i === last ? block.length : (starts[i + 1] as number);
      if (at + needle.length > end) {
        at = block.indexOf(needle, at + 1);
        continue;
      }
      rows.push(first + i);
      if (i === last) return;
      at = block.indexOf(needle, end);
    }
  }

  toData(): TaskTextsData {
    return { blocks: this.blocks, starts: this.starts, open: this.open, replaced: [...this.replaced] };
  }

  static fromData(data: TaskTextsData, blockRows: number = BLOCK_ROWS): TaskTexts {
    const texts = new TaskTexts(blockRows);
    if (data.starts.length !== data.blocks.length || data.starts.some((s) => s.length !== blockRows) || data.open.length >= blockRows) {
      throw new Error('task texts: blocks and offsets disagree');
    }
    texts.blocks = [...data.blocks];
    texts.starts = [...data.starts];
    texts.open = [...data.open];
    for (const [row, text] of data.replaced) texts.replaced.set(row, text);
    return texts;
  }

  private seal(): void {
    const block = this.open.join('');
    const starts = block.length <= 0xffff ? new Uint16Array(this.blockRows) : new Uint32Array(this.blockRows);
    let at = 0;
    this.open.forEach((text, i) => {
      starts[i] = at;
      at += text.length;
    });
    this.blocks.push(block);
    this.starts.push(starts);
    this.open = [];
  }

  private sealedText(row: number): string {
    const b = Math.floor(row / this.blockRows);
    const i = row - b * this.blockRows;
    const block = this.blocks[b] as string;
    const starts = this.starts[b] as BlockStarts;
    return block.slice(starts[i] as number, i === this.blockRows - 1 ? block.length : (starts[i + 1] as number));
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
