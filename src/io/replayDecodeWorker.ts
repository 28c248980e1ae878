/**
 * The decoding half of a parallel batch replay (see parallelReplay.ts), run in a worker thread:
 * reads the files it is given, splits and decodes every line exactly as the one-thread replay does,
 * and posts the outcomes in packed batches (pipeline/outcomeBatch.ts) while the main thread
 * folds the ones before. Never logs: it only posts.
 */
import path from 'node:path';
import { type MessagePort, workerData } from 'node:worker_threads';
import { decodeRawLine } from '../pipeline/decodeRawLine.js';
import { OutcomeBatchWriter } from '../pipeline/outcomeBatch.js';
import { SOURCE_FILES, type SourceKind } from '../domain/sources.js';
import { readLines } from './readLines.js';
import { BATCH_INTS, type DecoderMessage, type DecoderSetup, Signal, toDecoderError } from './replayDecoderProtocol.js';

const setup = workerData as DecoderSetup;
const port: MessagePort = setup.port;
const signal = new Int32Array(setup.signal);
Atomics.store(signal, Signal.Started, 1);
Atomics.notify(signal, Signal.Started);

function post(message: DecoderMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(signal, Signal.Posted, 1);
  Atomics.notify(signal, Signal.Posted);
}

/** Waits while the main thread is this many messages behind: what is decoded ahead is held in memory. */
function waitForRoom(): void {
  for (;;) {
    const taken = Atomics.load(signal, Signal.Taken);
    if (Atomics.load(signal, Signal.Posted) - taken < setup.batchesAhead) return;
    Atomics.wait(signal, Signal.Taken, taken);
  }
}

/**
 * Whether the main thread has (nearly) run out of batches to fold: then the next batch's lines
 * go as text and it decodes them itself, instead of waiting while this thread does. So the
 * decoding is shared by whoever has time, however fast each thread runs on a busy machine.
 */
function idle(): boolean {
  return Atomics.load(signal, Signal.Posted) - Atomics.load(signal, Signal.Taken) <= setup.textWhenAhead;
}

function decodeFile(kind: SourceKind, writer: OutcomeBatchWriter): void {
  /** Whether the lines of the batch being filled go as text, for the main thread to decode. */
  let asText = idle();
  const flush = (): void => {
    waitForRoom();
    const { batch, transfer } = writer.take();
    post({ type: 'batch', kind, batch }, transfer);
    asText = idle();
  };
  readLines(
    path.join(setup.dir, SOURCE_FILES[kind]),
    setup.maxLineBytes,
    (raw) => {
      if (asText && raw.text !== undefined) {
        writer.addText(raw.text, raw.line, raw.byteOffset);
        if (writer.filled >= BATCH_INTS) flush();
        return;
      }
      const outcome = decodeRawLine(kind, raw, setup.maxLineBytes);
      if (outcome.type === 'rejected') {
        const bytes = raw.bytes ?? raw.head ?? null;
        // A copy of the line alone: a view would carry its whole chunk across.
        writer.add(outcome, { line: raw.line, byteOffset: raw.byteOffset, bytes: bytes === null ? null : new Uint8Array(bytes), whole: raw.bytes !== null });
      } else {
        writer.add(outcome, null);
      }
      if (writer.filled >= BATCH_INTS) flush();
    },
    (byteOffset, bytes) => {
      if (writer.filled > 0) flush();
      post({ type: 'unfinished', kind, byteOffset, bytes });
    },
  );
  if (writer.filled > 0) flush();
  post({ type: 'end', kind });
}

try {
  const writer = new OutcomeBatchWriter();
  for (const kind of setup.kinds) decodeFile(kind, writer);
} catch (error) {
  post({ type: 'error', error: toDecoderError(error) });
} finally {
  port.close();
}
