import pino, { type Logger } from 'pino';

/**
 * The pino instance: JSON lines on stdout, pretty-printed only when stdout is a terminal
 * (a person watching), so files and pipes always get parseable JSON.
 */
export function createLogger(level = 'info', destination: NodeJS.WritableStream = process.stdout): Logger {
  const pretty = destination === process.stdout && process.stdout.isTTY === true;
  if (pretty) {
    return pino({ level, base: { name: 'oak-telemetry' } }, pino.transport({ target: 'pino-pretty', options: { colorize: true } }));
  }
  // Synchronous writes to fd 1: lines are out before a signal-driven exit.
  const sink = destination === process.stdout ? pino.destination({ dest: 1, sync: true }) : (destination as pino.DestinationStream);
  return pino({ level, base: { name: 'oak-telemetry', pid: process.pid } }, sink);
}

export type { Logger };
