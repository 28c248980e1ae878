import path from 'node:path';
import { decodeText } from '../../decode/decodeLine.js';
import { SOURCE_FILES } from '../../domain/sources.js';
import { appendLine } from '../../io/appendOnlyWriter.js';
import { IGNORE_FAULTS, type FaultSink } from '../../io/faults.js';
import { toPythonJson } from '../../logger/pythonJson.js';
import type { OtlpRecord } from './otlpRecords.js';

export interface WriteResult {
  readonly written: number;
  /** Records every reader would reject (a 300-character agent name...): not written. */
  readonly refused: number;
  readonly refusedReason: string;
}

/**
 * Appends the records through the append-only writer, each as one line in the Python logger's
 * JSON. A record the readers would reject is refused here, as `oak-telemetry log` refuses it,
 * rather than written and lost to every query. An I/O error throws (the caller answers 503),
 * and is reported to `faults` as an `append` fault on that file, cleared by the next append there.
 */
export function writeRecords(dir: string, records: readonly OtlpRecord[], maxLineBytes: number, faults: FaultSink = IGNORE_FAULTS): WriteResult {
  let written = 0;
  let refused = 0;
  let refusedReason = '';
  for (const { kind, record } of records) {
    const line = toPythonJson(record);
    const bytes = Buffer.byteLength(line, 'utf8');
    const outcome = bytes > maxLineBytes ? { type: 'rejected' as const, reason: `a record of ${bytes} bytes, over the ${maxLineBytes}-byte line limit` } : decodeText(kind, line);
    if (outcome.type === 'rejected') {
      refused++;
      refusedReason ||= outcome.reason;
      continue;
    }
    const file = SOURCE_FILES[kind];
    try {
      appendLine(path.join(dir, file), line);
    } catch (err) {
      faults.raise(file, 'append', err);
      throw err;
    }
    faults.clear(file, 'append');
    written++;
  }
  return { written, refused, refusedReason };
}
