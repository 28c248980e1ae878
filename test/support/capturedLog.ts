import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

/** A pino logger (the product's own) whose lines are kept parsed, for assertions, as pino's tests do. */
export function capturedLog(level = 'info'): { readonly log: Logger; readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}
