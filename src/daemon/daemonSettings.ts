import type { ListenAddress } from '../http/listenAddress.js';
import type { AlertSettings } from '../queries/alerts.js';
import type { OtlpIntakeSettings } from './otlpIntake.js';

/** Everything the daemon needs to know, already validated (see config.ts). */
export interface DaemonSettings {
  readonly dir: string;
  readonly stateDir: string;
  readonly pollIntervalMs: number;
  readonly snapshotIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly maxLineBytes: number;
  readonly rollingWindow: number;
  readonly snapshotListLimit: number;
  readonly alerts: AlertSettings;
  /** Where the HTTP API listens; null: no API. */
  readonly http?: ListenAddress;
  readonly httpToken?: string | null;
  /** Follow this JetStream stream (filled by `oak-telemetry ship`) instead of the files in `dir`. */
  readonly nats?: { readonly url: string; readonly stream: string; readonly consumer: string } | null;
  /** Receive OTLP here and append it to `dir` (file mode only); null: no receiver. */
  readonly otlp?: OtlpIntakeSettings | null;
}
