import { createHash } from 'node:crypto';
import type { DaemonConfig } from '../config.js';
import type { DaemonSettings } from '../daemon.js';
import { parseListenAddress, requireTokenBeyondLoopback } from '../http/listenAddress.js';

/** The daemon's settings from the resolved configuration (loaded with the daemon, not at CLI start-up). */
export function settingsFrom(config: DaemonConfig): DaemonSettings {
  const http = parseListenAddress(config.http);
  requireTokenBeyondLoopback(http, config.httpToken);
  return {
    http,
    httpToken: config.httpToken,
    dir: config.dir,
    stateDir: config.stateDir,
    pollIntervalMs: config.pollIntervalMs,
    snapshotIntervalMs: config.snapshotIntervalMs,
    checkpointIntervalMs: config.checkpointIntervalMs,
    maxLineBytes: config.maxLineBytes,
    rollingWindow: config.rollingWindow,
    snapshotListLimit: config.snapshotListLimit,
    alerts: { ...config.alerts, agentSuccess: { ...config.alerts.agentSuccess, window: config.rollingWindow } },
    nats: config.nats.url === null ? null : { url: config.nats.url, stream: config.nats.stream, consumer: config.nats.consumer ?? defaultConsumer(config.stateDir) },
  };
}

/** One durable consumer per aggregator: named after its state dir, so two aggregators never share one. */
function defaultConsumer(stateDir: string): string {
  return `oak-telemetry-${createHash('sha1').update(stateDir).digest('hex').slice(0, 10)}`;
}
