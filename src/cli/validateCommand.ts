import path from 'node:path';
import { Command } from 'commander';
import { SOURCE_FILES, SOURCE_KINDS } from '../domain/sources.js';
import type { Rejection } from '../decode/rejection.js';
import { CommandFailed, UsageError } from '../errors.js';
import { dirOption, parseNumber, printLine } from './common.js';
import { configOption, settingsFor } from './querySettings.js';

/** `validate`: one line per bad line (file, line, byte offset, reason); exit 1 if there is any. */
export function buildValidateCommand(): Command {
  return new Command('validate')
    .description('check the telemetry files: print every bad line with file, line number, byte offset and reason; exit 1 if any')
    .addOption(dirOption())
    .addOption(configOption())
    .option('--max-line-bytes <n>', 'longest accepted line in bytes (default: the maxLineBytes setting, 1048576)')
    .option('--json', 'print the bad lines as NDJSON, one object per line')
    .action(async (opts: { dir?: string; config?: string; maxLineBytes?: string; json?: boolean }) => {
      const settings = settingsFor(opts);
      const dir = settings.dir;
      const maxLineBytes = opts.maxLineBytes === undefined ? settings.maxLineBytes : parseNumber('--max-line-bytes', opts.maxLineBytes);
      if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
        throw new UsageError(`--max-line-bytes must be a whole number >= 1, got ${opts.maxLineBytes}`);
      }
      // Loaded here: the other commands do not pay for the replay.
      const [{ replayDirectory }, { naming, requireTelemetryDir }, { decodeWorkerSetting }] = await Promise.all([
        import('../io/replayFiles.js'),
        import('./loadState.js'),
        import('./decodeWorkerSetting.js'),
      ]);
      const decodeWorker = decodeWorkerSetting();
      const rejections: Rejection[] = [];
      const unfinished: string[] = [];
      requireTelemetryDir(dir);
      const ingest = naming(dir, () => replayDirectory(dir, {
        maxLineBytes,
        decodeWorker,
        onRejection: (r) => rejections.push(r),
        onUnfinished: (kind, byteOffset, bytes) =>
          unfinished.push(
            `note: ${path.join(dir, SOURCE_FILES[kind])}: ${bytes} byte${bytes === 1 ? '' : 's'} from byte ${byteOffset} have no newline yet: an unfinished line, not counted until it ends`,
          ),
      }));
      if (opts.json) {
        await writeNdjson(rejections.map((r) => ({ ...r, file: SOURCE_FILES[r.file] })));
      } else {
        for (const r of rejections) {
          printLine(`${path.join(dir, SOURCE_FILES[r.file])}:${r.line}: byte ${r.byteOffset}: ${r.reason}`);
        }
        for (const kind of SOURCE_KINDS) {
          const t = ingest.totals.perSource[kind];
          const extra = t.skipped > 0 ? `, ${t.skipped} skipped` : '';
          printLine(`${SOURCE_FILES[kind]}: ${t.applied} good, ${t.rejected} bad${extra}`);
        }
        for (const [reason, count] of ingest.totals.skippedByReason) {
          printLine(`note: ${count} line${count === 1 ? '' : 's'} skipped (${reason.replaceAll('_', ' ')}); they are valid and ignored, as by the reference`);
        }
        for (const note of unfinished) printLine(note);
        if (ingest.state.counts.unknownEventKinds > 0) {
          printLine(`note: ${ingest.state.counts.unknownEventKinds} workflow event(s) of unknown kind skipped`);
        }
      }
      if (rejections.length > 0) throw new CommandFailed(`${rejections.length} bad line${rejections.length === 1 ? '' : 's'}`);
    });
}

async function writeNdjson(rows: readonly object[]): Promise<void> {
  const { default: ndjson } = await import('ndjson');
  return new Promise((resolve, reject) => {
    const out = ndjson.stringify();
    out.on('error', reject);
    out.on('end', resolve);
    out.on('data', (chunk: string) => process.stdout.write(chunk));
    for (const row of rows) out.write(row);
    out.end();
  });
}
