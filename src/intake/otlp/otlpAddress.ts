import { UsageError } from '../../errors.js';
import { isLoopback } from '../../http/listenAddress.js';

/** OTLP/HTTP's well-known port, used when --otlp names only a host. */
export const OTLP_HTTP_PORT = 4318;

export interface OtlpAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT`; port 0 picks a free one. */
export function parseOtlpAddress(raw: string): OtlpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(raw);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? OTLP_HTTP_PORT : Number(match[3]);
  if (match === null || host === undefined || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`--otlp must be HOST or HOST:PORT (e.g. 127.0.0.1, 127.0.0.1:4318, [::1]:4318), got ${JSON.stringify(raw)}`);
  }
  return { host, port };
}

/** As for the HTTP API: beyond loopback, spans from anyone would be written to the log. */
export function requireOtlpTokenBeyondLoopback(address: OtlpAddress, token: string | null): void {
  if (isLoopback(address.host) || (token !== null && token !== '')) return;
  throw new UsageError(
    `refusing to receive OTLP on ${address.host}:${address.port} without a token: ` +
      'set --otlp-token or OAK_TELEMETRY_OTLP_TOKEN (exporters send it as OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>), or listen on 127.0.0.1 (the default)',
  );
}
