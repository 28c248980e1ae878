import { readDaemonRecord } from '../io/daemonRecord.js';
import { isLoopback } from '../http/listenAddress.js';

/** Connecting to a daemon on this machine takes well under a millisecond; past this it is not there. */
export const CONNECT_TIMEOUT_MS = 300;
/** A daemon that accepted the question but does not answer in this long is given up on. */
export const ANSWER_TIMEOUT_MS = 5000;

export interface DaemonAsk {
  readonly stateDir: string;
  /** What the query reads: the daemon must follow the same (its dir, or its stream). */
  readonly follows: { readonly dir: string } | { readonly stream: string };
  readonly token: string | null;
  /** The API route, e.g. /api/v1/best-agent. */
  readonly route: string;
  /** Query parameters; undefined ones are left out. */
  readonly params: Readonly<Record<string, string | undefined>>;
}

export type DaemonAnswer = { readonly ok: true; readonly url: string; readonly body: string } | { readonly ok: false; readonly why: string };

/**
 * Asks the daemon that daemon.json names for this answer. Loopback only (a daemon bound to all
 * addresses is asked on 127.0.0.1 / ::1). Never throws: any failure (no record, a stale one, a
 * refused or slow connection, a non-200 answer) says why, and the caller loads the state itself.
 */
export async function askDaemon(ask: DaemonAsk): Promise<DaemonAnswer> {
  const record = readDaemonRecord(ask.stateDir);
  if (record === null) return { ok: false, why: `no running daemon recorded in ${ask.stateDir}` };
  const same = 'dir' in ask.follows ? record.dir === ask.follows.dir : record.stream === ask.follows.stream;
  if (!same) return { ok: false, why: `the daemon at ${record.url} follows ${record.dir ?? `stream ${record.stream ?? '?'}`}` };
  const host = record.host === '0.0.0.0' ? '127.0.0.1' : record.host === '::' ? '::1' : record.host;
  if (!isLoopback(host)) return { ok: false, why: `the daemon listens on ${record.host}, not a loopback address` };
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(ask.params)) if (value !== undefined) search.set(name, value);
  const query = search.size > 0 ? `?${search.toString()}` : '';
  const url = `${record.url.replace(/\/$/, '')}${ask.route}${query}`;
  try {
    const body = await get(host, record.port, `${ask.route}${query}`, ask.token);
    return { ok: true, url: record.url, body };
  } catch (error) {
    return { ok: false, why: `the daemon at ${url} did not answer (${(error as Error).message})` };
  }
}

/**
 * node:http is imported here, when a daemon is asked: every other command (the daemon itself,
 * before its first snapshot) was loading it, and its ~25 modules, for nothing.
 */
async function get(host: string, port: number, path: string, token: string | null): Promise<string> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const request = http.get({ host, port, path, headers, agent: false });
    const connectTimer = setTimeout(() => request.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    const answerTimer = setTimeout(() => request.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    const done = () => {
      clearTimeout(connectTimer);
      clearTimeout(answerTimer);
    };
    request.on('socket', (socket) => socket.once('connect', () => clearTimeout(connectTimer)));
    request.on('error', (error) => {
      done();
      reject(error);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => {
        done();
        reject(error);
      });
      response.on('end', () => {
        done();
        if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode ?? '?'}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  });
}
