import net from 'node:net';
import { UsageError } from '../errors.js';

/** Where the HTTP API listens: `HOST:PORT` (IPv6 in brackets) or `off`. */
export type ListenAddress = { readonly host: string; readonly port: number } | null;

export function parseListenAddress(raw: string): ListenAddress {
  if (raw === 'off') return null;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(raw);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`--http must be HOST:PORT (e.g. 127.0.0.1:7467, [::1]:7467) or off, got ${JSON.stringify(raw)}`);
  }
  return { host, port };
}

/** Loopback only: 127.0.0.0/8, ::1 and localhost. Anything else is reachable from elsewhere. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

/** Binding beyond loopback without a token would publish the telemetry to the network. */
export function requireTokenBeyondLoopback(address: ListenAddress, token: string | null): void {
  if (address === null || isLoopback(address.host) || (token !== null && token !== '')) return;
  throw new UsageError(
    `refusing to serve HTTP on ${address.host}:${address.port} without a token: ` +
      'set --http-token or OAK_TELEMETRY_HTTP_TOKEN, or listen on 127.0.0.1 (the default)',
  );
}
