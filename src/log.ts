import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { TerminalLogFormat } from './terminalLog.js';

/**
 * The pino instance: JSON lines on stdout, or, when stdout is a terminal (a person watching),
 * the same lines made short and readable (src/terminalLog.ts), so files and pipes always get
 * parseable JSON.
 */
export function createLogger(level = 'info', destination: NodeJS.WritableStream = process.stdout): Logger {
  const base = { name: 'oak-telemetry', pid: process.pid };
  if (destination === process.stdout && process.stdout.isTTY === true) {
    const terminal = new TerminalLogFormat({
      width: () => process.stdout.columns || 80,
      color: process.env.NO_COLOR === undefined && process.stdout.hasColors(),
    });
    // Written at once, as the JSON lines are: lines are out before a signal-driven exit.
    const sink = {
      write(line: string): void {
        const text = terminal.format(line);
        if (text !== '') fs.writeSync(1, text);
      },
    };
    return pino({ level, base }, sink);
  }
  // Synchronous writes to fd 1: lines are out before a signal-driven exit.
  const sink = destination === process.stdout ? pino.destination({ dest: 1, sync: true }) : (destination as pino.DestinationStream);
  return pino({ level, base }, sink);
}

export type { Logger };
