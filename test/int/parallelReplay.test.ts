/**
 * The batch replay with a decoding worker (src/io/parallelReplay.ts) against the one-thread
 * replay on the same files: the same state, the same tallies, every bad line
 * reported with the same file, line, offset and bytes, the same unfinished tails, the same
 * events in the same order, and the same error for a file that cannot be read. Runs the built
 * worker (dist/), so `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_FILES, type SourceKind } from '../../src/domain/sources.js';
import { writeGeneratedTelemetry } from '../../src/cli/generateCommand.js';
import { replayWithWorker } from '../../src/io/parallelReplay.js';
import type { DecoderTuning } from '../../src/io/replayDecoderProtocol.js';
import { type ReplayOptions, replayDirectory } from '../../src/io/replayFiles.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/decode/decodeLine.js';
import { ROOT } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const WORKER = path.join(ROOT, 'dist/src/io/replayDecodeWorker.js');
const workerUrl = pathToFileURL(WORKER);
const dirs = tempDirsPerFile();

/** Everything a replay tells its caller, in the order it told it. */
function recorded() {
  const told: string[] = [];
  const options: ReplayOptions = {
    onRejection: (r, bytes, whole) => told.push(JSON.stringify(['rejected', r, bytes === null ? null : Buffer.from(bytes).toString('base64'), whole])),
    onUnfinished: (kind, byteOffset, bytes) => told.push(JSON.stringify(['unfinished', kind, byteOffset, bytes])),
    onEvent: (event) => told.push(JSON.stringify(['event', event])),
  };
  return { told, options };
}

/**
 * What a replay produced, as comparable values. The state is compared by value, not by its
 * checkpoint bytes: V8 may hold a whole number as a small integer or as a double depending on
 * which code (and how optimized) computed it, and its serializer writes the two differently.
 */
function outcome(ingest: Ingest, told: string[]) {
  return {
    state: ingest.state,
    totals: JSON.stringify([ingest.totals.perSource, [...ingest.totals.skippedByReason], [...ingest.totals.rejectedByKind]]),
    told,
  };
}

function oneThread(dir: string) {
  const { told, options } = recorded();
  return outcome(replayDirectory(dir, { ...options, decodeWorker: 'never' }), told);
}

function withWorker(dir: string, tuning: DecoderTuning = {}) {
  const { told, options } = recorded();
  const ingest = new Ingest(initialState(), options);
  const used = replayWithWorker(dir, DEFAULT_MAX_LINE_BYTES, ingest, workerUrl, (kind, byteOffset, bytes) => options.onUnfinished?.(kind, byteOffset, bytes), tuning);
  expect(used, 'the worker started').toBe(true);
  return outcome(ingest, told);
}

const BAD_LINES = [
  'not json',
  '',
  '   ',
  '[1, 2]',
  '{"invocation_id": 5}',
  '{"event": "workflow_complete", "timestamp": "2026-10-02T00:00:00Z", "duration_seconds": 1, "success": true}',
  '{"event": "odd_kind", "timestamp": "2026-10-02T00:00:00Z", "workflow_id": "wf-odd"}',
  `{"x": "${'y'.repeat(2 * 1024 * 1024)}"}`,
];

/** Each file with bad lines spliced in among the good ones and, for some, an unfinished last line. */
function spoil(dir: string): void {
  const tails: Record<SourceKind, string> = { invocations: '{"invocation_id": "half', metrics: '{"succ', workflow_events: '' };
  for (const kind of Object.keys(tails) as SourceKind[]) {
    const file = path.join(dir, SOURCE_FILES[kind]);
    const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
    BAD_LINES.forEach((bad, i) => lines.splice(Math.floor(((i + 1) * lines.length) / (BAD_LINES.length + 1)), 0, bad));
    // Bytes that are not UTF-8, inside an otherwise good line.
    const parts = lines.map((l) => Buffer.from(l, 'utf8'));
    parts.splice(3, 0, Buffer.concat([parts[2]!.subarray(0, 40), Buffer.from([0xff]), parts[2]!.subarray(41)]));
    fs.writeFileSync(file, Buffer.concat([...parts.flatMap((p) => [p, Buffer.from('\n')]), Buffer.from(tails[kind], 'utf8')]));
  }
}

let clean: string;
let spoiled: string;
beforeAll(async () => {
  expect(fs.existsSync(WORKER), `${WORKER} (npm run build first)`).toBe(true);
  clean = dirs.make('oak-parallel-clean-');
  await writeGeneratedTelemetry(clean, { workflows: 400, seed: 7 });
  spoiled = dirs.make('oak-parallel-spoiled-');
  await writeGeneratedTelemetry(spoiled, { workflows: 400, seed: 8 });
  spoil(spoiled);
});

describe('batch replay with a decoding worker', () => {
  it('gives what the one-thread replay gives on clean files', () => {
    const want = oneThread(clean);
    expect(want.told.length).toBeGreaterThan(4000);
    expect(withWorker(clean)).toEqual(want);
  });

  it('gives the same rejections (file, line, offset, bytes), tallies, unfinished tails and state with bad lines', () => {
    const want = oneThread(spoiled);
    const rejected = want.told.filter((t) => t.startsWith('["rejected"'));
    expect(rejected.length).toBeGreaterThanOrEqual(15);
    expect(rejected.filter((t) => t.includes('invalid UTF-8')).length).toBe(3);
    expect(want.told.filter((t) => t.startsWith('["unfinished"')).length).toBe(2);
    expect(withWorker(spoiled)).toEqual(want);
  });

  it('gives the same when the worker may run only one message ahead of the fold', () => {
    expect(withWorker(spoiled, { batchesAhead: 1 })).toEqual(oneThread(spoiled));
  });

  it.each([
    ['every line decoded in the worker', -1],
    ['every line sent as text and decoded on the main thread', 1e9],
  ])('gives the same with %s', (_name, textWhenAhead) => {
    expect(withWorker(spoiled, { textWhenAhead })).toEqual(oneThread(spoiled));
    expect(withWorker(clean, { textWhenAhead })).toEqual(oneThread(clean));
  });

  it('is what replayDirectory uses for a worker script it is given, and for missing files', () => {
    const empty = dirs.make('oak-parallel-empty-');
    const { told, options } = recorded();
    expect(outcome(replayDirectory(empty, { ...options, decodeWorker: workerUrl }), told)).toEqual(oneThread(empty));
  });

  it.each([
    ['a FIFO as the workflow events', 'workflow_events'],
    ['a directory as the invocations', 'invocations'],
    ['a directory as the metrics', 'metrics'],
  ] as const)('throws the one-thread replay\'s error for %s', (_name, kind) => {
    const dir = dirs.make('oak-parallel-fault-');
    for (const name of Object.values(SOURCE_FILES)) fs.copyFileSync(path.join(clean, name), path.join(dir, name));
    const file = path.join(dir, SOURCE_FILES[kind]);
    fs.rmSync(file);
    if (kind === 'workflow_events') {
      const made = spawnSync('mkfifo', [file]);
      if (made.status !== 0) return void console.warn(`skipped: mkfifo refused (${made.stderr.toString().trim()})`);
    } else {
      fs.mkdirSync(file);
    }
    const thrown = (run: () => unknown): { name: string; message: string; code: unknown } => {
      try {
        run();
      } catch (error) {
        const e = error as Error & { code?: unknown };
        return { name: e.name, message: e.message, code: e.code };
      }
      throw new Error('did not throw');
    };
    const want = thrown(() => replayDirectory(dir, { decodeWorker: 'never' }));
    expect(want.name).toBe('FileFault');
    expect(thrown(() => replayDirectory(dir, { decodeWorker: workerUrl }))).toEqual(want);
  });
});
