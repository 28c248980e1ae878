/**
 * A batch replay on two threads: a worker reads and decodes the files (replayDecodeWorker.ts)
 * while this thread folds what it decoded, batch by batch. Decoding (JSON.parse most of all) was
 * a third of a replay and the fold the rest, so on two cores the two halves overlap; when this
 * thread has nothing left to fold, the worker sends the next lines as text and this thread
 * decodes them too, so neither waits long for the other. The replay stays synchronous: batches
 * are taken with receiveMessageOnPort, and the thread sleeps on a shared counter (Atomics.wait)
 * while the worker is behind. The outcomes, and the order they are folded in, are the
 * one-thread replay's: the same code decodes the same lines.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import type { Ingest } from '../pipeline/ingest.js';
import { OutcomeBatchReader, type OutcomeSink } from '../pipeline/outcomeBatch.js';
import type { RawLine } from '../pipeline/splitLines.js';
import {
  type DecoderMessage,
  type DecoderSetup,
  type DecoderTuning,
  fromDecoderError,
  MAX_BATCHES_AHEAD,
  Signal,
  SIGNAL_SLOTS,
  TEXT_WHEN_AHEAD,
} from './replayDecoderProtocol.js';
import type { WholeRead } from './wholeRead.js';

/** How long the worker may take to load its code before the replay runs on one thread instead. */
const START_TIMEOUT_MS = 5_000;
/**
 * No message for this long from a started worker means it died without a word (killed, out of
 * memory): a batch is posted every ~1k lines, so a live worker is never this quiet.
 */
const STALL_TIMEOUT_MS = 60_000;

const WORKER_FILE = 'replayDecodeWorker.js';

/**
 * The worker's script: beside this module when compiled, one level up from a bundle's chunk
 * (dist/bin/chunks/ -> dist/bin/). Null when there is none (run from TypeScript sources).
 */
export function findDecodeWorker(): URL | null {
  for (const relative of [`./${WORKER_FILE}`, `../${WORKER_FILE}`]) {
    const url = new URL(relative, import.meta.url);
    if (url.protocol === 'file:' && fs.existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

/** A line the worker sent as text (valid UTF-8, within the limit), decoded here. */
class TextLine implements RawLine {
  constructor(
    readonly text: string,
    readonly line: number,
    readonly byteOffset: number,
  ) {}

  /** Its bytes, for a rejection: the text came from valid UTF-8, so encoding it gives them back. */
  get bytes(): Buffer {
    return Buffer.from(this.text, 'utf8');
  }
}

/** A rejected line as the fold's tallies and the rejection hook want it. */
function rejectedRaw(line: number, byteOffset: number, bytes: Uint8Array | null, whole: boolean): RawLine {
  const buffer = bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return whole ? { bytes: buffer, line, byteOffset } : buffer === null ? { bytes: null, line, byteOffset } : { bytes: null, head: buffer, line, byteOffset };
}

/**
 * Replays `dir` into `ingest` with a decoding worker. Returns false, having read nothing, when
 * the worker did not start (the caller replays on one thread); throws what the one-thread
 * replay would throw for a file that cannot be read.
 */
export function replayWithWorker(
  dir: string,
  maxLineBytes: number,
  ingest: Ingest,
  workerUrl: URL,
  onUnfinished: (kind: SourceKind, byteOffset: number, bytes: number) => void,
  tuning: DecoderTuning = {},
  /** Each file's read as the worker made it (null: missing), for tails to go on from (see wholeRead.ts). */
  onRead: (kind: SourceKind, read: WholeRead | null) => void = () => undefined,
): boolean {
  const signalBuffer = new SharedArrayBuffer(SIGNAL_SLOTS * 4);
  const signal = new Int32Array(signalBuffer);
  const { port1, port2 } = new MessageChannel();
  const setup: DecoderSetup = {
    dir,
    kinds: SOURCE_KINDS,
    maxLineBytes,
    batchesAhead: tuning.batchesAhead ?? MAX_BATCHES_AHEAD,
    textWhenAhead: tuning.textWhenAhead ?? TEXT_WHEN_AHEAD,
    port: port2,
    signal: signalBuffer,
  };
  const worker = new Worker(workerUrl, { workerData: setup, transferList: [port2] });
  // Never what keeps the process alive; its exit is not waited for.
  worker.unref();
  let finished = false;
  try {
    if (Atomics.wait(signal, Signal.Started, 0, START_TIMEOUT_MS) === 'timed-out' && Atomics.load(signal, Signal.Started) === 0) return false;
    const reader = new OutcomeBatchReader();
    let kind: SourceKind = 'invocations';
    const sink: OutcomeSink = {
      event: (event) => ingest.event(kind, event),
      blank: () => ingest.blank(kind),
      skipped: (reason) => ingest.skipped(kind, reason),
      rejected: (reason, where) => ingest.refuse(kind, rejectedRaw(where.line, where.byteOffset, where.bytes, where.whole), reason),
      text: (text, line, byteOffset) => ingest.line(kind, new TextLine(text, line, byteOffset)),
    };
    /** The next message, waiting for the worker when it has none yet. */
    const next = (): DecoderMessage => {
      for (;;) {
        const posted = Atomics.load(signal, Signal.Posted);
        const received = receiveMessageOnPort(port1);
        if (received !== undefined) {
          Atomics.add(signal, Signal.Taken, 1);
          Atomics.notify(signal, Signal.Taken);
          return received.message as DecoderMessage;
        }
        if (Atomics.wait(signal, Signal.Posted, posted, STALL_TIMEOUT_MS) === 'timed-out') throw new Error('replay: the decoding worker stopped answering');
      }
    };
    for (const fileKind of SOURCE_KINDS) {
      kind = fileKind;
      for (let ended = false; !ended; ) {
        const message = next();
        switch (message.type) {
          case 'batch':
            reader.read(message.batch, sink);
            break;
          case 'unfinished':
            onUnfinished(message.kind, message.byteOffset, message.bytes);
            break;
          case 'end':
            onRead(message.kind, message.read);
            ended = true;
            break;
          case 'error':
            throw fromDecoderError(message.error);
        }
      }
    }
    finished = true;
    return true;
  } finally {
    port1.close();
    if (!finished) void worker.terminate();
  }
}
