import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { stringifyJson } from '../domain/jsonText.js';
import type { Fault } from '../io/faults.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import * as q from '../queries/telemetryQueries.js';
import type { Logger } from '../log.js';
import { bearerMatches } from './bearerToken.js';
import { isLoopback } from './listenAddress.js';
import { dashboardAssets } from './dashboardAssets.js';
import type { EventStream } from './eventStream.js';
import { HeavyAnswers, Overloaded } from './heavyAnswers.js';
import * as limits from './limits.js';
import type { DaemonMetrics } from './metrics.js';
import { BadParameter, type HistoryQuery, QUERY_SCHEMAS, timeParam, type WorkflowViewQuery } from './queryParams.js';

/** What the API reads from the running daemon. */
export interface ApiSource {
  state(): TelemetryState;
  /** The snapshot document as the daemon would write it now. */
  snapshot(): unknown;
  readiness(): { ready: boolean; lag_bytes: number; lag_messages?: number | null };
  /** I/O faults active now (a telemetry file unreadable, the state dir full...). */
  faults(): readonly Fault[];
  /**
   * Changes whenever the state may have (events applied, a rebuild): answers computed from the
   * state alone are shared between requests at the same version.
   */
  version(): number;
  /** Epoch milliseconds. */
  clock(): number;
}

export interface ApiOptions {
  readonly source: ApiSource;
  readonly events: EventStream;
  readonly token: string | null;
  readonly log: Logger;
  readonly metrics?: DaemonMetrics | undefined;
}

/** The CLI's default list length for the workflow views, so both answer the same question alike. */
const DEFAULT_VIEW_LIMIT = 10;
const JSON_TYPE = 'application/json; charset=utf-8';
/** Longest unfiltered view list answered past the heavy queue. */
const CHEAP_VIEW_LIMIT = 1000;

/** A heavy route: computed in turn (see HeavyAnswers); `cacheable` when its answer depends on the state alone. */
interface Heavy<Q> {
  readonly cacheable: (query: Q) => boolean;
  /** Read from what the fold keeps current (no walk): answered at once, past the queue (see HeavyAnswers.cheap). */
  readonly cheap?: (query: Q) => boolean;
}
const PER_VERSION: Heavy<unknown> = { cacheable: () => true };
/** Answers that read the clock when `now` is not given: kept only when it is. */
const PINNED_NOW: Heavy<{ now?: string }> = { cacheable: (query) => query.now !== undefined };
/**
 * The workflow views: without --project or --since they are read from the live-views fold, a
 * cheap read unless the list asked for is long (limit=0 is every workflow: its JSON is the cost).
 */
const WORKFLOW_VIEW: Heavy<WorkflowViewQuery> = {
  cacheable: () => true,
  cheap: (query) => query.project === undefined && query.since === undefined && query.limit !== 0 && (query.limit ?? DEFAULT_VIEW_LIMIT) <= CHEAP_VIEW_LIMIT,
};
/** Answers of the moment (the snapshot carries its time and health): computed in turn, never kept. */
const UNSHARED: Heavy<unknown> = { cacheable: () => false };

/**
 * The read-only HTTP API: every body is the JSON document the CLI's --json prints for the same
 * question (same query functions, same serializer, same trailing newline). No request bodies.
 */
export function buildApi(options: ApiOptions): FastifyInstance {
  const { source, events, token } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: 1,
    routerOptions: { maxParamLength: 2048 },
    // Unknown query parameters are an error to report, not something to drop quietly.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    // Idle and half-sent requests give their connection back (see limits.ts).
    keepAliveTimeout: limits.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: limits.REQUEST_TIMEOUT_MS,
    http: { headersTimeout: limits.HEADERS_TIMEOUT_MS, connectionsCheckingInterval: limits.CONNECTIONS_CHECK_INTERVAL_MS },
  });
  app.server.maxConnections = limits.MAX_CONNECTIONS;
  app.removeAllContentTypeParsers();
  const heavy = new HeavyAnswers(() => source.version(), {
    maxPending: limits.MAX_HEAVY_PENDING,
    maxShare: limits.HEAVY_MAX_SHARE,
    cacheBytes: limits.ANSWER_CACHE_BYTES,
    cacheEntries: limits.ANSWER_CACHE_ENTRIES,
  });

  const assets = dashboardAssets();
  app.addHook('onRequest', async (request, reply) => {
    // Without a token the API is loopback-only; a page elsewhere that rebinds its own name to
    // 127.0.0.1 (DNS rebinding) would still send its own name as Host: refuse it.
    if (token === null && !isLoopbackHost(request.headers.host)) {
      await reply.code(403).type('application/json; charset=utf-8').send(json({ error: 'forbidden', message: 'Host must be a loopback address without a token' }));
      return;
    }
    // The page and its scripts hold no data (the page sends the token itself, from #token=...).
    if (token === null || request.url === '/healthz' || assets.has(request.url)) return;
    if (!bearerMatches(request.headers.authorization, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').type('application/json; charset=utf-8').send(json({ error: 'unauthorized', message: 'a valid bearer token is required' }));
    }
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof Overloaded) {
      return reply.code(429).header('retry-after', String(error.retryAfterSeconds)).type(JSON_TYPE).send(json({ error: 'overloaded', message: error.message }));
    }
    if (error instanceof BadParameter) return reply.code(400).type('application/json; charset=utf-8').send(json({ error: 'bad_request', parameter: error.parameter, message: error.message }));
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
      const parameter = params.missingProperty ?? params.additionalProperty ?? (first?.instancePath ?? '').replace(/^\//, '');
      const message = params.additionalProperty !== undefined ? 'unknown parameter' : `${parameter} ${first?.message ?? 'is not valid'}`;
      return reply.code(400).type('application/json; charset=utf-8').send(json({ error: 'bad_request', parameter, message }));
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).type('application/json; charset=utf-8').send(json({ error: 'bad_request', message: 'request not accepted (read-only API, no bodies)' }));
    }
    options.log.error({ err: error }, 'http request failed');
    return reply.code(500).type('application/json; charset=utf-8').send(json({ error: 'internal', message: 'the request failed; see the daemon log' }));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('application/json; charset=utf-8').send(json({ error: 'not_found', message: 'no such route; the routes are listed in docs/daemon.md (HTTP API)' })));

  const nowOf = (raw: string | undefined) => timeParam('now', raw, () => source.clock() * 1000);
  const send = (value: unknown) => json(value);
  const route = <Q>(path: string, schema: object, answer: (query: Q, params: Record<string, string>) => unknown, weight?: Heavy<Q>) => {
    app.get(path, { schema: { querystring: schema } }, async (request, reply) => {
      const query = request.query as Q;
      const params = request.params as Record<string, string>;
      if (weight === undefined) return reply.type(JSON_TYPE).send(send(answer(query, params)));
      if (weight.cheap?.(query)) return reply.type(JSON_TYPE).send(heavy.cheap(answerKey(path, params, query), weight.cacheable(query), () => Buffer.from(send(answer(query, params)))));
      const body = await heavy.answer(answerKey(path, params, query), weight.cacheable(query), () => Buffer.from(send(answer(query, params))));
      return reply.type(JSON_TYPE).send(body);
    });
  };

  for (const [url, asset] of assets) {
    app.get(url, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(asset.body),
    );
  }
  app.get('/healthz', async (_request, reply) => reply.type('application/json; charset=utf-8').send(json({ status: 'ok' })));
  // Ready means caught up. A fault (a telemetry file unreadable, the state dir full) leaves the
  // daemon serving its last good state: still ready, but `degraded` with the faults listed.
  app.get('/readyz', async (_request, reply) => {
    const readiness = source.readiness();
    const faults = source.faults();
    return reply
      .code(readiness.ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(json({ ...readiness, degraded: faults.length > 0, faults }));
  });

  route('/api/v1/snapshot', QUERY_SCHEMAS.none, () => source.snapshot(), UNSHARED);
  route<{ now?: string }>('/api/v1/stats', QUERY_SCHEMAS.none, (query) => (nowOf(query.now), q.stats(source.state())));
  route<{ now?: string }>('/api/v1/workflows', QUERY_SCHEMAS.none, (query) => (nowOf(query.now), q.workflows(source.state())));
  route<{ now?: string }>('/api/v1/overhead', QUERY_SCHEMAS.none, (query) => (nowOf(query.now), q.overhead(source.state())), PER_VERSION);
  route<{ now?: string }>('/api/v1/open', QUERY_SCHEMAS.none, (query) => q.open(source.state(), nowOf(query.now)), PINNED_NOW);
  route<{ now?: string; window?: number }>('/api/v1/agents', QUERY_SCHEMAS.agents, (query) => (nowOf(query.now), q.agents(source.state(), query.window)));
  route<{ now?: string; days?: number }>('/api/v1/trends/:agent', QUERY_SCHEMAS.trends, (query, params) =>
    q.trends(source.state(), params.agent as string, query.days ?? q.DEFAULT_TREND_DAYS, nowOf(query.now)),
  );
  // The trend with the runs each window holds: what the CLI's table needs to say a window is empty.
  route<{ now?: string; days?: number }>('/api/v1/trends/:agent/windows', QUERY_SCHEMAS.trends, (query, params) => {
    const [agent, days, nowUs] = [params.agent as string, query.days ?? q.DEFAULT_TREND_DAYS, nowOf(query.now)];
    return { trend: q.trends(source.state(), agent, days, nowUs), windows: q.trendWindows(source.state(), agent, days, nowUs) };
  });
  route<{ now?: string; task_type?: string }>('/api/v1/ranking', QUERY_SCHEMAS.ranking, (query) => (nowOf(query.now), q.ranking(source.state(), query.task_type)));
  route<{ now?: string; task: string; domain?: string; min_confidence?: number; all?: string }>('/api/v1/best-agent', QUERY_SCHEMAS.bestAgent, (query) => {
    const matches = q.bestAgents(source.state(), { task: query.task, domain: query.domain, minConfidence: query.min_confidence, nowUs: nowOf(query.now) });
    return query.all === '1' || query.all === 'true' ? matches : (matches[0] ?? null);
  }, PINNED_NOW);
  const viewArgs = (query: WorkflowViewQuery) => {
    nowOf(query.now);
    const sinceUs = query.since === undefined ? undefined : timeParam('since', query.since, () => 0);
    const limit = query.limit === undefined ? DEFAULT_VIEW_LIMIT : query.limit === 0 ? Infinity : query.limit;
    return { filter: { project: query.project, sinceUs }, limit };
  };
  route<WorkflowViewQuery>('/api/v1/handoffs', QUERY_SCHEMAS.workflowViews, (query) => q.handoffs(source.state(), viewArgs(query)), WORKFLOW_VIEW);
  route<WorkflowViewQuery>('/api/v1/gaps', QUERY_SCHEMAS.workflowViews, (query) => q.gaps(source.state(), viewArgs(query)), WORKFLOW_VIEW);
  route<WorkflowViewQuery>('/api/v1/estimates', QUERY_SCHEMAS.workflowViews, (query) => q.estimates(source.state(), viewArgs(query)), WORKFLOW_VIEW);
  route<WorkflowViewQuery>('/api/v1/bottlenecks', QUERY_SCHEMAS.workflowViews, (query) =>
    q.bottlenecks(source.state(), { ...viewArgs(query), thresholdPct: query.threshold }),
    WORKFLOW_VIEW,
  );
  route<HistoryQuery>('/api/v1/history', QUERY_SCHEMAS.history, (query) => {
    nowOf(query.now);
    const optionalTime = (name: string, raw: string | undefined) => (raw === undefined ? undefined : timeParam(name, raw, () => 0));
    return q.history(source.state(), { bucket: query.bucket ?? 'auto', project: query.project, sinceUs: optionalTime('since', query.since), untilUs: optionalTime('until', query.until) });
  }, PER_VERSION);
  // null for an unknown workflow, as `timeline --json` prints it.
  route<{ now?: string }>('/api/v1/workflows/:id/timeline', QUERY_SCHEMAS.none, (query, params) => (nowOf(query.now), q.timeline(source.state(), params.id as string)), PER_VERSION);

  const metrics = options.metrics;
  if (metrics !== undefined) {
    // A scrape walks every invocation too: computed in turn, never kept (counters move with time).
    app.get('/metrics', async (_request, reply) =>
      reply.type(metrics.contentType).send(await heavy.answer('/metrics', false, async () => Buffer.from(await metrics.exposition()))),
    );
  }

  app.get('/api/v1/events', async (request, reply) => {
    reply.hijack();
    events.attach(reply.raw);
    request.raw.on('close', () => reply.raw.end());
  });

  return app;
}

/** Host header naming a loopback address (127.x, localhost, [::1]), any port. */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isLoopback(name.toLowerCase());
}

/** The route, its path parameters and its query parameters (as validated and coerced), in a fixed order. */
function answerKey(path: string, params: Record<string, string>, query: unknown): string {
  const sorted = (record: object) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([path, sorted(params), sorted((query ?? {}) as object)]);
}

function json(value: unknown): string {
  return `${stringifyJson(value)}\n`;
}
