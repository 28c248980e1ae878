/**
 * The decoding half of a parallel batch replay (see parallelReplay.ts), run in a worker thread:
 * reads the files it is given, splits and decodes every line exactly as the one-thread replay does,
 * and posts the outcomes in packed batches (pipeline/outcomeBatch.ts) while the main thread
 * folds the ones before. Never logs: it only posts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type MessagePort, workerData } from 'node:worker_threads';
import { decodeRawLine } from '../pipeline/decodeRawLine.js';
import { OutcomeBatchWriter } from '../pipeline/outcomeBatch.js';
import { SOURCE_FILES, type SourceKind } from '../domain/sources.js';
import { readLines } from './readLines.js';
import type { WholeRead } from './wholeRead.js';
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
 * Whether the next batch's lines go as text, for the main thread to decode: when it has
 * (nearly) run out of batches to fold, rather than wait while this thread decodes; and while
 * this thread waits for a core (RunQueue). Decoding here costs ~25% more CPU in all than
 * decoding there (packing, a second heap), which pays only while the two threads truly run at
 * once: on a machine whose cores are taken by others, the replay does best as one thread.
 */
function sendAsText(): boolean {
  if (setup.textWhenAhead < 0) return false;
  return Atomics.load(signal, Signal.Posted) - Atomics.load(signal, Signal.Taken) <= setup.textWhenAhead || runQueue.busy();
}

/**
 * How long this thread waited, runnable, for a core: from /proc/thread-self/schedstat (time on
 * a CPU, time waiting on a run queue, in ns), over windows of ~100 ms of either. Where that file
 * cannot be read, the machine counts as free.
 */
class RunQueue {
  private fd: number | null;
  private readonly buffer = Buffer.alloc(128);
  private lastRun = 0;
  private lastWait = 0;
  private run = 0;
  private wait = 0;
  private contended = false;
  private calls = 0;

  constructor() {
    try {
      this.fd = fs.openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      this.fd = null;
    }
  }

  busy(): boolean {
    // Read every few batches: a read costs a few microseconds, a batch a few milliseconds.
    if (this.fd === null || this.calls++ % 4 !== 0) return this.contended;
    let text: string;
    try {
      text = this.buffer.toString('latin1', 0, fs.readSync(this.fd, this.buffer, 0, this.buffer.length, 0));
    } catch {
      this.fd = null;
      return false;
    }
    const [run = 0, wait = 0] = text.split(' ').map(Number);
    if (this.lastRun > 0) {
      this.run += run - this.lastRun;
      this.wait += wait - this.lastWait;
    }
    this.lastRun = run;
    this.lastWait = wait;
    if (this.run + this.wait >= WINDOW_NS) {
      this.contended = this.wait > (this.run + this.wait) * CONTENDED_SHARE;
      this.run = 0;
      this.wait = 0;
    }
    return this.contended;
  }
}

const WINDOW_NS = 100e6;
/**
 * Waiting for a core this share of the time or more: the cores are taken by others. At 0.25 the
 * worker stepped back at load ~1.8, where the two threads still measured ~25% faster.
 */
const CONTENDED_SHARE = 0.5;
const runQueue = new RunQueue();

function decodeFile(kind: SourceKind, writer: OutcomeBatchWriter): void {
  /** Whether the lines of the batch being filled go as text, for the main thread to decode. */
  let asText = sendAsText();
  const flush = (): void => {
    waitForRoom();
    const { batch, transfer } = writer.take();
    post({ type: 'batch', kind, batch }, transfer);
    asText = sendAsText();
  };
  let read: WholeRead | null = null;
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
    (whole) => {
      read = whole;
    },
  );
  if (writer.filled > 0) flush();
  post({ type: 'end', kind, read });
}

try {
  const writer = new OutcomeBatchWriter();
  for (const kind of setup.kinds) decodeFile(kind, writer);
} catch (error) {
  post({ type: 'error', error: toDecoderError(error) });
} finally {
  port.close();
}
