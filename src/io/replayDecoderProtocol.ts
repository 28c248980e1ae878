/** What the replay's decoding worker and the main thread say to each other (parallelReplay.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { SourceKind } from '../domain/sources.js';
import type { OutcomeBatch } from '../pipeline/outcomeBatch.js';
import { FileFault } from './regularFile.js';
import type { WholeRead } from './wholeRead.js';

export interface DecoderSetup {
  readonly dir: string;
  /** The files the worker reads, in order. */
  readonly kinds: readonly SourceKind[];
  readonly maxLineBytes: number;
  /** Messages the worker may be ahead of the fold (MAX_BATCHES_AHEAD; tests use fewer). */
  readonly batchesAhead: number;
  /** TEXT_WHEN_AHEAD (tests: -1 for never, whatever the load; a large number for always). */
  readonly textWhenAhead: number;
  readonly port: MessagePort;
  /** Int32 slots indexed by Signal. */
  readonly signal: SharedArrayBuffer;
}

/** What tests change to reach every path whatever the timing. */
export interface DecoderTuning {
  readonly batchesAhead?: number;
  readonly textWhenAhead?: number;
}

/** Slots of the shared counters both threads wait on. */
export const enum Signal {
  /** 1 once the worker's code runs (its modules loaded). */
  Started,
  /** Messages posted by the worker. */
  Posted,
  /** Messages the main thread has taken. */
  Taken,
}
export const SIGNAL_SLOTS = 3;

/**
 * Ints per batch (~1k invocation lines): large enough that posting costs little per line, small
 * enough that the main thread starts folding soon after the worker starts.
 */
export const BATCH_INTS = 4096;
/** The worker sends a batch of lines as text when the main thread has at most this many messages waiting. */
export const TEXT_WHEN_AHEAD = 1;
/** Messages decoded ahead of the fold at most: bounds the memory the hand-over holds (~100 KB a batch). */
export const MAX_BATCHES_AHEAD = 192;

/** An error thrown in the worker, carried as data (a FileFault keeps its fields). */
export type DecoderError =
  | { readonly kind: 'file'; readonly path: string; readonly op: string; readonly code: string; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

export type DecoderMessage =
  | { readonly type: 'batch'; readonly kind: SourceKind; readonly batch: OutcomeBatch }
  | { readonly type: 'unfinished'; readonly kind: SourceKind; readonly byteOffset: number; readonly bytes: number }
  /** Every line of the file has been posted; `read`: what the read saw of the file (null: missing). */
  | { readonly type: 'end'; readonly kind: SourceKind; readonly read: WholeRead | null }
  | { readonly type: 'error'; readonly error: DecoderError };

export function toDecoderError(error: unknown): DecoderError {
  if (error instanceof FileFault) return { kind: 'file', path: error.path, op: error.op, code: error.code, message: error.message };
  return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
}

/** The worker's error rethrown as the one-thread replay would have thrown it. */
export function fromDecoderError(error: DecoderError): Error {
  if (error.kind === 'other') return new Error(`replay: decoding failed: ${error.message}`);
  const prefix = `cannot ${error.op} ${error.path}: `;
  const suffix = ` (${error.code})`;
  const reason = error.message.startsWith(prefix) && error.message.endsWith(suffix) ? error.message.slice(prefix.length, -suffix.length) : error.message;
  return new FileFault(error.path, error.op, error.code, reason);
}
