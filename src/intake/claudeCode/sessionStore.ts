import fs from 'node:fs';
import path from 'node:path';
import { withShortLock } from '../../io/shortLock.js';
import { initialSessionState, type SessionState, sessionStateFromJson, sessionStateToJson } from './sessionState.js';

/**
 * Per-session state of the hook: `<stateDir>/claude-code/<session_id>/state.json`, changed only
 * under `<stateDir>/claude-code/<session_id>.lock` (held for the few milliseconds a hook reads,
 * translates, appends and saves). The lock is per session: sessions never wait on each other.
 */
export const CLAUDE_CODE_STATE = 'claude-code';
const STATE_FILE = 'state.json';
/** A hook runs for milliseconds; a lock this old belongs to one that was killed. */
const LOCK_STALE_MS = 5000;
const LOCK_TIMEOUT_MS = 15000;

export interface SessionStore {
  /** Runs `change` on the session's state under its lock; `change` returns whether to remove the state. */
  update(sessionId: string, change: (state: SessionState, warnings: string[]) => { readonly remove: boolean }): string[];
}

export function sessionStore(stateDir: string): SessionStore {
  const root = path.join(stateDir, CLAUDE_CODE_STATE);
  return {
    update(sessionId, change) {
      const dir = path.join(root, sessionId);
      fs.mkdirSync(root, { recursive: true });
      const warnings: string[] = [];
      withShortLock(`${dir}.lock`, { staleMs: LOCK_STALE_MS, timeoutMs: LOCK_TIMEOUT_MS }, () => {
        const file = path.join(dir, STATE_FILE);
        let state = initialSessionState(sessionId);
        let text: string | null = null;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        if (text !== null) {
          const loaded = sessionStateFromJson(text);
          if (loaded === null || loaded.sessionId !== sessionId) warnings.push(`unreadable session state ${file}: started afresh`);
          else state = loaded;
        }
        const { remove } = change(state, warnings);
        if (remove) {
          fs.rmSync(dir, { recursive: true, force: true });
          return;
        }
        fs.mkdirSync(dir, { recursive: true });
        // Whole or old, never half: a reader after a crash sees one or the other.
        const tmp = `${file}.${process.pid}`;
        fs.writeFileSync(tmp, sessionStateToJson(state));
        fs.renameSync(tmp, file);
      });
      return warnings;
    },
  };
}
