/**
 * What the `ndjson` package costs on the hot path: every line of the three files through
 * fs.createReadStream(file).pipe(ndjson.parse()), nothing else.
 * Usage: node ndjsonWorker.js DIR  ->  {"ms": ..., "lines": ...}
 */
import fs from 'node:fs';
import path from 'node:path';
import ndjson from 'ndjson';
import { SOURCE_FILES, SOURCE_KINDS } from '../../../src/domain/sources.js';

function parseFile(file: string, sink: { lines: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!fs.existsSync(file)) {
      resolve();
      return;
    }
    const parser = fs.createReadStream(file).on('error', reject).pipe(ndjson.parse());
    parser.on('data', () => sink.lines++);
    parser.on('error', reject);
    parser.on('end', resolve);
  });
}

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: ndjsonWorker DIR');
const sink = { lines: 0 };
const began = performance.now();
for (const kind of SOURCE_KINDS) await parseFile(path.join(dir, SOURCE_FILES[kind]), sink);
const ms = performance.now() - began;
process.stdout.write(`${JSON.stringify({ ms, lines: sink.lines })}\n`);
