import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { bearerMatches } from '../../http/bearerToken.js';
import { IGNORE_FAULTS, type FaultSink } from '../../io/faults.js';
import type { Logger } from '../../log.js';
import type { OtlpAddress } from './otlpAddress.js';
import { agentCategory } from '../claudeCode/agentCategory.js';
import { isClaudeCodeSpan } from './claudeCodeFacts.js';
import { ClaudeCodeTranslator } from './claudeCodeTranslator.js';
import { checkJsonObject, decodeLogsJson, decodeTracesJson } from './otlpJson.js';
import type { Decoded, OtlpLogRecord, OtlpSpan } from './otlpModel.js';
import type { OtlpRecord } from './otlpRecords.js';
import { ReceiverCounts } from './receiverCounts.js';
import { writeRecords } from './recordWriter.js';
import { TraceTranslator, type TranslatorLimits } from './traceTranslator.js';

/**
 * The OTLP/HTTP protocol edge: routes, the token, content types, gzip, the body limit, status
 * codes and the Export*ServiceResponse. What the spans mean is traceTranslator.ts's business;
 * this only decodes, hands them over and writes what comes back. Requests are handled one at a
 * time once their body is in (decode, translate and append are synchronous), so the
 * translator's state needs no locking.
 *
 * Back-pressure: bodies are read concurrently, each up to 16 MiB, so the requests in flight are
 * bounded (`maxRequestsInFlight`); one more, or any while `overloaded` says so (the daemon's fold
 * is behind the log), gets 429 with Retry-After before its body is read, as the OTLP spec asks
 * of a receiver that cannot keep up. Exporters retry a 429 after the delay.
 */

/** Largest request body, raw or gunzipped (a batch of 10k spans is a few MB). Above: 413. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Seconds an exporter is told to wait when the log cannot be written (disk full...). */
const RETRY_AFTER_SECONDS = 5;
/** Seconds an exporter is told to wait when too much is in flight: the backlog clears in well under that. */
const BUSY_RETRY_AFTER_SECONDS = 1;
const MAX_CONNECTIONS = 256;

export interface OtlpReceiverOptions {
  readonly address: OtlpAddress;
  readonly token: string | null;
  readonly dir: string;
  readonly maxLineBytes: number;
  readonly limits: TranslatorLimits;
  /** Requests whose body is being read or handled at once; beyond: 429. */
  readonly maxRequestsInFlight: number;
  /** Why the receiver cannot take more now (e.g. the daemon's fold is behind), or null: 429 while not null. */
  readonly overloaded?: () => string | null;
  /** Where write failures go (the daemon's fault registry); default: nowhere but the log and the 503. */
  readonly faults?: FaultSink;
  readonly log: Logger;
  /** Epoch milliseconds (the translator's time limit). */
  readonly clock?: () => number;
}

export interface OtlpReceiver {
  readonly address: OtlpAddress;
  /** Requests by route and status, spans accepted and rejected, requests in flight: for /metrics. */
  readonly counts: ReceiverCounts;
  /** Stops listening, then writes what the per-trace state still holds. */
  close(): Promise<void>;
}

type Signal = 'traces' | 'logs' | 'metrics';
type Encoding = 'protobuf' | 'json';
const ROUTES: ReadonlyMap<string, Signal> = new Map([
  ['/v1/traces', 'traces'],
  ['/v1/logs', 'logs'],
  ['/v1/metrics', 'metrics'],
]);

interface Answer {
  readonly status: number;
  readonly body: Uint8Array | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const { log, dir, maxLineBytes } = options;
  const clock = options.clock ?? Date.now;
  const translator = new TraceTranslator(options.limits);
  const faults = options.faults ?? IGNORE_FAULTS;
  const counts = new ReceiverCounts();
  // Claude Code's spans and log events say what its hooks say; they go to their own translator.
  const claudeCode = new ClaudeCodeTranslator(options.limits, (type, projectDir) => agentCategory(type, projectDir));
  let protobuf: typeof import('./otlpProtobuf.js') | undefined;
  const codec = async () => (protobuf ??= await import('./otlpProtobuf.js'));

  const server = http.createServer((req, res) => {
    counts.inFlight++;
    handle(req)
      .catch((err: unknown): Answer => {
        log.error({ err }, 'otlp request failed unexpectedly');
        return { status: 500, body: 'internal error' };
      })
      .then((answer) => {
        counts.inFlight--;
        counts.request(routeLabel(req.url), answer.status);
        if (res.headersSent || res.destroyed) return;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  async function handle(req: http.IncomingMessage): Promise<Answer> {
    const signal = ROUTES.get((req.url ?? '').split('?')[0] ?? '');
    const encoding = encodingOf(req.headers['content-type']);
    const refuse = async (status: number, reason: string, headers: Record<string, string> = {}): Promise<Answer> => {
      log.warn({ path: req.url, status, reason }, 'otlp request refused');
      drain(req);
      return errorAnswer(encoding, status, reason, headers);
    };
    async function errorAnswer(enc: Encoding | null, status: number, reason: string, headers: Record<string, string>): Promise<Answer> {
      if (enc === 'protobuf') return { status, body: (await codec()).encodeStatus(status, reason), headers: { 'content-type': 'application/x-protobuf', ...headers } };
      return { status, body: JSON.stringify({ code: status, message: reason }), headers: { 'content-type': 'application/json', ...headers } };
    }
    if (signal === undefined) return refuse(404, `no such path ${JSON.stringify(req.url)}: OTLP/HTTP takes POST /v1/traces, /v1/logs and /v1/metrics`);
    if (req.method !== 'POST') return refuse(405, `${signal} take POST, not ${String(req.method)}`, { allow: 'POST' });
    if (options.token !== null && !bearerMatches(req.headers.authorization, options.token)) {
      return refuse(401, 'missing or wrong bearer token (send Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer' });
    }
    if (encoding === null) {
      return refuse(415, `content type ${JSON.stringify(req.headers['content-type'] ?? '')} is neither application/x-protobuf nor application/json`);
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') return refuse(415, `content encoding ${JSON.stringify(contentEncoding)} is not gzip`);
    // Before the body is read: refusing is what keeps memory bounded when exporters outpace us.
    if (counts.inFlight > options.maxRequestsInFlight) {
      return refuse(429, `${counts.inFlight - 1} requests in flight, the limit is ${options.maxRequestsInFlight}: retry after the delay`, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
    }
    const busy = options.overloaded?.() ?? null;
    if (busy !== null) return refuse(429, `${busy}: retry after the delay`, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) return refuse(413, `a body of ${declared} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
    const raw = await readBody(req);
    if (raw === null) return refuse(413, `the body is over the ${MAX_BODY_BYTES}-byte limit`);
    let body: Buffer = raw;
    if (contentEncoding === 'gzip') {
      try {
        body = zlib.gunzipSync(raw, { maxOutputLength: MAX_BODY_BYTES });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return refuse(413, `the body is over the ${MAX_BODY_BYTES}-byte limit once gunzipped`);
        return refuse(400, `the body is not valid gzip: ${(err as Error).message}`);
      }
    }
    if (signal === 'traces') return traces(body, encoding, refuse);
    if (signal === 'logs') return logs(body, encoding, refuse);
    const decoded = encoding === 'json' ? checkJsonObject(body.toString('utf8')) : { ok: true as const, items: [] };
    if (!decoded.ok) return refuse(400, decoded.reason);
    log.debug({ signal }, 'otlp metrics taken (ignored)');
    return success(encoding, signal, 0, '');
  }

  type Refuse = (status: number, reason: string, headers?: Record<string, string>) => Promise<Answer>;

  /** Appends what a request gave; on an I/O error undoes it (the exporter's retry brings it back) and answers 503. */
  function write(records: readonly OtlpRecord[], undo: () => void, refuse: Refuse): { refused: number; refusedReason: string } | Promise<Answer> {
    try {
      return writeRecords(dir, records, maxLineBytes, faults);
    } catch (err) {
      undo();
      return refuse(503, `cannot write to ${dir}: ${(err as Error).message}`, { 'retry-after': String(RETRY_AFTER_SECONDS) });
    }
  }

  async function logs(body: Buffer, encoding: Encoding, refuse: Refuse): Promise<Answer> {
    const decoded: Decoded<OtlpLogRecord> = encoding === 'json' ? decodeLogsJson(body.toString('utf8')) : (await codec()).decodeLogsProtobuf(body);
    if (!decoded.ok) return refuse(400, decoded.reason);
    const translation = claudeCode.accept(decoded.items, [], clock());
    const written = write(translation.records, translation.undo, refuse);
    if (written instanceof Promise) return written;
    sweep();
    // Log records are not rejected: those that are not Claude Code's events are simply not kept.
    if (written.refused > 0) log.warn({ refused: written.refused, reason: written.refusedReason }, 'otlp records refused');
    log.debug({ logs: decoded.items.length, records: translation.records.length }, 'otlp logs taken');
    return success(encoding, 'logs', 0, '');
  }

  async function traces(body: Buffer, encoding: Encoding, refuse: Refuse): Promise<Answer> {
    const decoded: Decoded<OtlpSpan> = encoding === 'json' ? decodeTracesJson(body.toString('utf8')) : (await codec()).decodeTracesProtobuf(body);
    if (!decoded.ok) return refuse(400, decoded.reason);
    const ours = decoded.items.filter(isClaudeCodeSpan);
    const translation = translator.accept(ours.length === 0 ? decoded.items : decoded.items.filter((span) => !isClaudeCodeSpan(span)), clock());
    const cc = claudeCode.accept([], ours, clock());
    // Nothing counts as taken when the log cannot be written: the exporter's retry brings the same spans back.
    const written = write([...translation.records, ...cc.records], () => (cc.undo(), translation.undo()), refuse);
    if (written instanceof Promise) {
      counts.spans(0, decoded.items.length);
      return written;
    }
    const { refused, refusedReason } = written;
    sweep();
    const rejected = translation.rejected + refused;
    counts.spans(Math.max(0, decoded.items.length - rejected), rejected);
    const reason = [translation.rejectReason, refusedReason].filter((r) => r !== '').join('; ');
    if (rejected > 0) log.warn({ rejected, reason }, 'otlp spans rejected');
    log.debug({ spans: decoded.items.length, records: translation.records.length, rejected }, 'otlp spans taken');
    return success(encoding, 'traces', rejected, reason);
  }

  async function success(encoding: Encoding, signal: Signal, rejected: number, reason: string): Promise<Answer> {
    if (encoding === 'json') {
      const countKey = signal === 'traces' ? 'rejectedSpans' : signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
      const body = rejected > 0 ? { partialSuccess: { [countKey]: String(rejected), errorMessage: reason } } : {};
      return { status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    }
    const c = await codec();
    const body = signal === 'traces' ? c.encodeTraceResponse(rejected, reason) : signal === 'logs' ? c.encodeLogsResponse(rejected, reason) : c.EMPTY_RESPONSE;
    return { status: 200, body, headers: { 'content-type': 'application/x-protobuf' } };
  }

  /** Traces idle past the time limit, or beyond the memory cap, write what they allow and go. */
  function sweep(): void {
    const now = clock();
    const records = [...translator.sweep(now), ...claudeCode.sweep(now)];
    if (records.length === 0) return;
    try {
      writeRecords(dir, records, maxLineBytes, faults);
    } catch (err) {
      log.error({ err, records: records.length }, 'otlp: cannot write the workflow events of flushed traces; they are lost');
    }
  }
  const sweeper = setInterval(sweep, Math.max(1000, Math.min(30_000, options.limits.traceIdleMs / 4)));
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = { host: options.address.host, port: bound.port };
  log.info({ host: address.host, port: address.port }, 'otlp receiver listening');
  return {
    address,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        // No request is taken after this; what the state holds is then written, so a trace cut
        // short keeps its start and hand-offs.
        server.close(() => resolve());
        server.closeAllConnections();
        sweepAll();
      }),
  };

  function sweepAll(): void {
    const records = [...translator.sweep(Number.POSITIVE_INFINITY), ...claudeCode.sweep(Number.POSITIVE_INFINITY)];
    try {
      writeRecords(dir, records, maxLineBytes, faults);
    } catch (err) {
      log.error({ err, records: records.length }, 'otlp: cannot write the workflow events of held traces at shutdown; they are lost');
    }
  }
}

/** The route as a metrics label: one of the three, or `other` (no unbounded label values). */
function routeLabel(url: string | undefined): string {
  const route = (url ?? '').split('?')[0] ?? '';
  return ROUTES.has(route) ? route : 'other';
}

function encodingOf(contentType: string | undefined): Encoding | null {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return null;
}

/** The body, or null past the limit (the rest is then drained unkept, so the client reads the 413). */
function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A refused request's body is read and dropped, so the client gets to read the answer. */
function drain(req: http.IncomingMessage): void {
  req.resume();
}
