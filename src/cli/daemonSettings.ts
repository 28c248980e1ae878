import { createHash } from 'node:crypto';
import type { DaemonConfig } from '../config.js';
import type { DaemonSettings } from '../daemon.js';
import type { OtlpIntakeSettings } from '../daemon/otlpIntake.js';
import { UsageError } from '../errors.js';
import { parseListenAddress, requireTokenBeyondLoopback } from '../http/listenAddress.js';
import { parseOtlpAddress, requireOtlpTokenBeyondLoopback } from '../intake/otlp/otlpAddress.js';

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
    otlp: otlpSettings(config),
  };
}

/** The receiver appends to the dir the daemon follows; a daemon folding a stream follows none. */
function otlpSettings(config: DaemonConfig): OtlpIntakeSettings | null {
  const { otlp } = config;
  if (otlp.listen === null) return null;
  if (config.nats.url !== null) {
    throw new UsageError(
      '--otlp cannot be used with --nats: that daemon folds the stream, not a dir, so what it received would not reach it. ' +
        'Run `oak-telemetry receive --otlp HOST:PORT --dir D` beside `oak-telemetry ship --dir D` on the host the agents run on',
    );
  }
  const address = parseOtlpAddress(otlp.listen);
  requireOtlpTokenBeyondLoopback(address, otlp.token);
  return {
    address,
    token: otlp.token,
    limits: { maxSpans: otlp.maxSpans, traceIdleMs: otlp.traceIdleMs, maxRememberedTraces: 100_000 },
    maxRequestsInFlight: otlp.maxRequestsInFlight,
    maxLagBytes: otlp.maxLagBytes,
  };
}

/** One durable consumer per aggregator: named after its state dir, so two aggregators never share one. */
function defaultConsumer(stateDir: string): string {
  return `oak-telemetry-${createHash('sha1').update(stateDir).digest('hex').slice(0, 10)}`;
}
