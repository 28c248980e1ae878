import type { FastifyInstance } from 'fastify';
import { buildApi } from '../http/apiServer.js';
import type { EventStream } from '../http/eventStream.js';
import type { ListenAddress } from '../http/listenAddress.js';
import { DaemonMetrics, type MetricsSource } from '../http/metrics.js';
import type { Fault } from '../io/faults.js';
import type { Logger } from '../log.js';

/** What the daemon shows its HTTP API and /metrics: read at request or scrape time. */
export interface DaemonView extends Omit<MetricsSource, 'faults'> {
  readonly faults: MetricsSource['faults'] & { faults(): readonly Fault[] };
  snapshot(): unknown;
  readiness(): { ready: boolean; lag_bytes: number; lag_messages?: number | null };
  version(): number;
  clock(): number;
}

export interface ServedHttp {
  readonly api: FastifyInstance;
  readonly metrics: DaemonMetrics;
  readonly url: string;
}

/** Starts the read-only API on `address`; its address is logged ("http listening"). */
export async function serveHttp(address: NonNullable<ListenAddress>, token: string | null, view: DaemonView, events: EventStream, log: Logger): Promise<ServedHttp> {
  const metrics = new DaemonMetrics(view);
  const api = buildApi({
    metrics,
    source: {
      state: () => view.state(),
      snapshot: () => view.snapshot(),
      readiness: () => view.readiness(),
      faults: () => view.faults.faults(),
      version: () => view.version(),
      clock: () => view.clock(),
    },
    events,
    token,
    log,
  });
  try {
    await api.listen({ host: address.host, port: address.port });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : (error as Error).message;
    throw new Error(`cannot serve HTTP on ${address.host}:${address.port}: ${reason} (choose another with --http HOST:PORT, or --http off)`, { cause: error });
  }
  const bound = api.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${port}/`;
  log.info({ url, host: address.host, port, token: token ? 'required' : 'none' }, 'http listening');
  return { api, metrics, url };
}
