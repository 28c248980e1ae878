import type { OtlpAddress } from '../intake/otlp/otlpAddress.js';
import { startOtlpReceiver, type OtlpReceiver } from '../intake/otlp/otlpReceiver.js';
import type { ReceiverCounts } from '../intake/otlp/receiverCounts.js';
import type { TranslatorLimits } from '../intake/otlp/traceTranslator.js';
import type { FaultSink } from '../io/faults.js';
import type { Logger } from '../log.js';
import type { Source } from '../sources/source.js';

/** `daemon --otlp`: where the receiver listens and its limits (see config.ts's `otlp`). */
export interface OtlpIntakeSettings {
  readonly address: OtlpAddress;
  readonly token: string | null;
  readonly limits: TranslatorLimits;
  readonly maxRequestsInFlight: number;
  /** Bytes of the log not yet folded beyond which the receiver answers 429. */
  readonly maxLagBytes: number;
}

export interface OtlpIntakeParts {
  /** The telemetry dir the daemon follows: the receiver appends there, and nowhere else. */
  readonly dir: string;
  readonly maxLineBytes: number;
  readonly source: Source;
  readonly faults: FaultSink;
  readonly log: Logger;
  /** The daemon is following the files (its pipeline runs): what the receiver flushes at stop gets folded. */
  live(): boolean;
}

/** How long stop waits for the fold to take what the receiver flushed (the daemon has 2 s in all). */
const FLUSH_FOLD_LIMIT_MS = 500;
const FLUSH_FOLD_POLL_MS = 5;

/**
 * The OTLP receiver inside the daemon. It appends to the dir the daemon follows, through the
 * same writer as `receive`, so its records reach the state the one way every record does (the
 * file source reads them and the fold applies them): the log stays the truth, and a replay of
 * the dir gives what the daemon shows. Write failures are the daemon's faults; when the fold
 * falls behind the log by more than `maxLagBytes`, exporters are told to wait (429).
 */
export class OtlpIntake {
  private constructor(
    private readonly receiver: OtlpReceiver,
    private readonly parts: OtlpIntakeParts,
  ) {}

  static async start(settings: OtlpIntakeSettings, parts: OtlpIntakeParts): Promise<OtlpIntake> {
    const { maxLagBytes } = settings;
    const overloaded = (): string | null => {
      const lag = parts.source.lag().bytes;
      return lag > maxLagBytes ? `the daemon has ${lag} bytes of the log not folded yet (over ${maxLagBytes})` : null;
    };
    try {
      const receiver = await startOtlpReceiver({
        address: settings.address,
        token: settings.token,
        dir: parts.dir,
        maxLineBytes: parts.maxLineBytes,
        limits: settings.limits,
        maxRequestsInFlight: settings.maxRequestsInFlight,
        overloaded,
        faults: parts.faults,
        log: parts.log,
      });
      return new OtlpIntake(receiver, parts);
    } catch (error) {
      const { host, port } = settings.address;
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : (error as Error).message;
      throw new Error(`cannot receive OTLP on ${host}:${port}: ${reason} (choose another with --otlp HOST:PORT)`, { cause: error });
    }
  }

  get counts(): ReceiverCounts {
    return this.receiver.counts;
  }

  /**
   * Stops taking requests and writes what the per-trace state holds; then, while the daemon
   * follows the files, waits (briefly) until the fold has read it, so the final snapshot and
   * checkpoint include it. Past the wait it is still in the log: the next start folds it.
   */
  async stop(): Promise<void> {
    await this.receiver.close();
    if (!this.parts.live()) return;
    const deadline = Date.now() + FLUSH_FOLD_LIMIT_MS;
    while (this.parts.source.lag().bytes > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, FLUSH_FOLD_POLL_MS));
    }
  }
}
