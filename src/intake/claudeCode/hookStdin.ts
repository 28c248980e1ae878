import fs from 'node:fs';

/**
 * Reading the hook's payload from stdin, synchronously: the hook loads nothing it can do
 * without (no stream machinery), and waits without spinning. Claude Code gives the hook a
 * blocking pipe, so readSync normally just blocks; but a non-blocking stdin (inherited from a
 * parent that set O_NONBLOCK on it) answers EAGAIN until the writer has written, and that is
 * met with a short sleep (Atomics.wait, growing to WAIT_MAX_MS), never a spin.
 */

/**
 * Payloads beyond this are not read: 16 MiB is far above any real one (an Agent tool's
 * response carries the subagent's final report, tens of kilobytes) and still cheap to hold.
 */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const WAIT_MIN_MS = 1;
const WAIT_MAX_MS = 32;
const CHUNK_BYTES = 1 << 16;

export type StdinPayload =
  | { readonly type: 'read'; readonly text: string }
  /** Over the bound: what was read of it (its first bytes name the event and session). */
  | { readonly type: 'oversized'; readonly head: string; readonly maxBytes: number };

export function readPayload(fd = 0, maxBytes = MAX_PAYLOAD_BYTES): StdinPayload {
  const chunks: Buffer[] = [];
  let total = 0;
  let waitMs = WAIT_MIN_MS;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const buf = Buffer.alloc(CHUNK_BYTES);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EOF') break;
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(sleeper, 0, 0, waitMs);
      waitMs = Math.min(waitMs * 2, WAIT_MAX_MS);
      continue;
    }
    if (n === 0) break;
    waitMs = WAIT_MIN_MS;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    total += n;
    if (total > maxBytes) return { type: 'oversized', head: Buffer.concat(chunks).subarray(0, CHUNK_BYTES).toString('utf8'), maxBytes };
  }
  return { type: 'read', text: Buffer.concat(chunks).toString('utf8') };
}

/**
 * The event and session named near the start of a payload too big to parse (Claude Code
 * writes them first), for its error line; null where they are not found.
 */
export function namesInHead(head: string): { event: string | null; sessionId: string | null } {
  const field = (name: string) => new RegExp(`"${name}"\\s*:\\s*"([^"\\\\]{1,200})"`).exec(head)?.[1] ?? null;
  return { event: field('hook_event_name'), sessionId: field('session_id') };
}
