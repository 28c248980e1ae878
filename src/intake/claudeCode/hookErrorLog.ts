import fs from 'node:fs';
import path from 'node:path';
import { appendLine } from '../../io/appendOnlyWriter.js';

/**
 * `<stateDir>/hook-errors.jsonl`: what a hook could not do (an unknown payload, an unwritable
 * telemetry dir), one JSON line each, since a hook must never show Claude Code an error. Bounded:
 * beyond HOOK_ERRORS_MAX_BYTES the file becomes hook-errors.jsonl.1 (the older one is dropped).
 * The daemon counts its lines (oak_hook_errors_total).
 */
export const HOOK_ERRORS_FILE = 'hook-errors.jsonl';
export const HOOK_ERRORS_MAX_BYTES = 256 * 1024;
/** Longest message kept. */
const MAX_MESSAGE = 2000;

export interface HookError {
  readonly event: string | null;
  readonly sessionId: string | null;
  readonly error: string;
}

/** Never throws: where even this fails, stderr is the last place (Claude Code shows it only in debug mode). */
export function logHookError(stateDir: string, error: HookError, now: Date = new Date()): void {
  const file = path.join(stateDir, HOOK_ERRORS_FILE);
  const line = JSON.stringify({ at: now.toISOString(), event: error.event, session_id: error.sessionId, error: error.error.slice(0, MAX_MESSAGE) });
  try {
    rotateIfFull(file);
    appendLine(file, line);
  } catch (err) {
    process.stderr.write(`oak-telemetry hook: ${line} (cannot write ${file}: ${(err as Error).message})\n`);
  }
}

function rotateIfFull(file: string): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return;
  }
  // Two hooks rotating at once: the second rename fails or moves a near-empty file; either way bounded.
  if (size >= HOOK_ERRORS_MAX_BYTES) fs.renameSync(file, `${file}.1`);
}
