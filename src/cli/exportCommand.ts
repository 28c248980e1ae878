import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { stringifyJson } from '../domain/jsonText.js';
import { CommandFailed, UsageError } from '../errors.js';
import type { ExportKind } from '../projections/views/exportRecords.js';
import type { QueryOpts } from './answerQuery.js';
import { dirOption, natsOptions, sourceOption } from './common.js';
import { csvRow } from './csvText.js';
import { settingsFor, settingsOptions } from './querySettings.js';

type ExportFormat = 'jsonl' | 'csv';

interface ExportOpts extends QueryOpts {
  format: string;
  out?: string;
}

const KINDS: readonly string[] = ['invocations', 'workflows', 'handoffs'];
/** Lines gathered before one write: one write per line would cost more than the encoding. */
const CHUNK_CHARS = 1 << 16;

/** `export`: the state as resolved records (one per invocation, workflow or hand-off) for DuckDB, jq or a spreadsheet. */
export function buildExportCommand(): Command {
  const command = new Command('export')
    .description(
      'print the state as resolved records for other tools: one per invocation (its last record and rating), per workflow or per hand-off; ' +
        'unlike the raw files, where an update or a rating is a line of its own, counting these rows counts invocations (docs/export.md)',
    )
    .argument('<records>', 'invocations, workflows or handoffs')
    .addOption(new Option('--format <format>', 'jsonl: one JSON object a line; csv: a header row, then RFC 4180 rows').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write here (replaced whole once complete) instead of stdout')
    .addOption(dirOption());
  for (const option of settingsOptions()) command.addOption(option);
  command.addOption(sourceOption()).option('--verbose', 'say on stderr whether the checkpoint or a replay answered');
  for (const option of natsOptions()) command.addOption(option);
  return command.action(async (records: string, opts: ExportOpts) => {
    const kind = records === 'hand-offs' ? 'handoffs' : records;
    if (!KINDS.includes(kind as ExportKind)) throw new UsageError(`export: <records> must be invocations, workflows or handoffs, got ${JSON.stringify(records)}`);
    const format = opts.format as ExportFormat;
    const settings = settingsFor(opts);
    // The daemon's API serves answers, not whole tables: the state comes from the checkpoint or a replay.
    const [{ loadQueryState }, { exportRecords, EXPORT_COLUMNS }] = await Promise.all([import('./loadQueryState.js'), import('../projections/views/exportRecords.js')]);
    const state = await loadQueryState(opts, settings);
    const columns = EXPORT_COLUMNS[kind as ExportKind] as readonly string[];
    const lines = (function* (): Generator<string> {
      if (format === 'csv') yield csvRow(columns);
      for (const record of exportRecords(state, kind as ExportKind)) {
        if (format === 'csv') yield csvRow(columns.map((c) => (record as unknown as Record<string, unknown>)[c]));
        else yield stringifyJson(record, 0) + '\n';
      }
    })();
    if (opts.out === undefined) await writeAll(process.stdout, lines);
    else await writeFileWhole(path.resolve(opts.out), lines);
  });
}

async function writeAll(out: Writable, lines: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length < CHUNK_CHARS) continue;
    if (!out.write(chunk)) await once(out, 'drain');
    chunk = '';
  }
  if (chunk.length > 0 && !out.write(chunk)) await once(out, 'drain');
}

/** A temp file beside the target, renamed over it when complete: a failed export leaves no half file where a reader looks. */
async function writeFileWhole(file: string, lines: Iterable<string>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const out = fs.createWriteStream(tmp, { flags: 'wx' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  try {
    await Promise.race([once(out, 'open'), failed]);
    await Promise.race([writeAll(out, lines), failed]);
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    fs.renameSync(tmp, file);
  } catch (error) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw new CommandFailed(`cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
