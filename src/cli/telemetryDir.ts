import fs from 'node:fs';
import { CommandFailed } from '../errors.js';
import { isSystemError } from './failureMessage.js';

/**
 * A command that reads a telemetry directory fails (exit 1) when it is not there rather than
 * answering "nothing recorded" or creating it: a mistyped --dir must not look like an empty log.
 * Kept apart from the state loader so the daemon and ship check without loading it.
 */
export function requireTelemetryDir(dir: string, hint = ''): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    if (isSystemError(error) && error.code === 'ENOENT') throw new CommandFailed(`${dir}: no such telemetry directory${hint}`);
    throw error;
  }
  if (!stat.isDirectory()) throw new CommandFailed(`${dir}: not a directory (--dir names the directory holding the .jsonl files)`);
}

/** For a long-running reader (daemon, ship): the directory must exist, unless `create` asks for it to be made. */
export function telemetryDirFor(dir: string, create: boolean): void {
  if (create) fs.mkdirSync(dir, { recursive: true });
  requireTelemetryDir(dir, ' (add --create-dir to create it and wait for the agents to write there)');
}
