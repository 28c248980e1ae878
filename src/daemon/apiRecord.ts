import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../io/faults.js';
import { removeDaemonRecord, writeDaemonRecord } from '../io/daemonRecord.js';
import type { Logger } from '../log.js';

/**
 * Tells queries on this state dir where the API answers (daemon.json). Called once the daemon
 * is caught up, not as soon as it listens: during the catch-up the API answers from part of the
 * log, and a query must not take that for the answer. A state dir that takes no writes only
 * costs the queries their shortcut (they load the checkpoint), so a failure is a warning.
 */
export function announceApi(stateDir: string, api: FastifyInstance | null, follows: { dir: string | null; stream: string | null }, log: Logger): void {
  const bound = api?.server.address();
  if (bound === undefined || bound === null || typeof bound !== 'object') return;
  const host = bound.address;
  const shown = host.includes(':') ? `[${host}]` : host;
  try {
    writeDaemonRecord(stateDir, { url: `http://${shown}:${bound.port}/`, host, port: bound.port, pid: process.pid, started: new Date().toISOString(), ...follows });
  } catch (error) {
    log.warn({ state_dir: stateDir, err: errorMessage(error) }, 'cannot write daemon.json: queries will load the checkpoint instead of asking the API');
  }
}

/** At stop: queries stop asking (a record left by a crash is ignored once its pid is gone). */
export function withdrawApi(stateDir: string, log: Logger): void {
  try {
    removeDaemonRecord(stateDir);
  } catch (error) {
    log.warn({ state_dir: stateDir, err: errorMessage(error) }, 'cannot remove daemon.json');
  }
}
