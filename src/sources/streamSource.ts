import { map, merge, type Observable } from 'rxjs';
import { START_POSITIONS } from '../io/sourceSet.js';
import { type HostHealth, type StreamPosition, streamOrigin } from '../domain/streamPosition.js';
import type { FaultSink } from '../io/faults.js';
import type { Logger } from '../log.js';
import type { StreamFeed } from '../transport/streamFeed.js';
import type { Fold, Source, SourceHealth, SourceLag, SourcePosition } from './source.js';

export interface StreamSettings {
  readonly url: string;
  readonly stream: string;
  readonly consumer: string;
}

const NO_FILE_LAG = { invocations: 0, metrics: 0, workflow_events: 0 } as const;

/**
 * The JetStream stream `oak-telemetry ship` fills: a durable consumer from the checkpoint's
 * sequence, applied in stream order. Waits (logging once) for the server and the stream; a
 * stream made again under the same name (the checkpoint no longer fits) starts the state over.
 */
export class StreamSource implements Source {
  readonly origin: string;
  private feed: StreamFeed | null = null;
  private cancelled: (() => void) | null = null;
  private stopRequested = false;

  constructor(
    private readonly settings: StreamSettings,
    /** The checkpoint's place in the stream; null: from the first message. */
    private resumeFrom: StreamPosition | null,
    private readonly faults: FaultSink,
    private readonly log: Logger,
  ) {
    this.origin = streamOrigin(settings.stream);
  }

  async catchUp(fold: Fold, proceed: () => boolean): Promise<boolean> {
    const feed = await this.open(fold);
    if (feed === null) return false;
    let lastLog = Date.now();
    const goOn = () => {
      if (Date.now() - lastLog >= 1000) {
        lastLog = Date.now();
        this.log.info({ events_applied: fold.eventsApplied, lag_messages: feed.lagMessages() }, 'catching up');
      }
      return proceed();
    };
    await feed.catchUp((kind, line) => fold.apply(kind, line), goOn, 50_000);
    return true;
  }

  /** Whatever arrived, applied in stream order; emits whether anything was. */
  follow(fold: Fold, polls$: Observable<number>): Observable<boolean> {
    const feed = this.feed;
    if (feed === null) throw new Error('the stream is not open');
    return merge(feed.arrivals$, polls$).pipe(map(() => feed.drain((kind, line) => fold.apply(kind, line)) > 0));
  }

  position(): SourcePosition {
    // Not opened yet (stopped while waiting for NATS): the position restored stays.
    return { positions: START_POSITIONS, stream: this.feed?.position() ?? this.resumeFrom };
  }

  lag(): SourceLag {
    return { bytes: 0, bytesPerFile: NO_FILE_LAG, messages: this.feed?.lagMessages() ?? null };
  }

  /** Before the stream is open, the hosts as the checkpoint left them. */
  hosts(): readonly HostHealth[] {
    const restored = this.resumeFrom?.hosts ?? [];
    return this.feed?.hosts() ?? restored.map((h) => ({ host: h.host, messages: h.messages, last_event_at: h.lastEventAt, lag_messages: 0 }));
  }

  health(): SourceHealth {
    const feed = this.feed;
    const position = feed?.position() ?? this.resumeFrom;
    return {
      lag: this.lag(),
      sources: null,
      stream: { name: this.settings.stream, seq: position?.seq ?? 0, lag_messages: feed?.lagMessages() ?? 0, hosts: this.hosts() },
    };
  }

  cancel(): void {
    this.stopRequested = true;
    this.cancelled?.();
  }

  async close(): Promise<void> {
    this.cancel();
    await this.feed?.close();
  }

  /**
   * Connects (waiting for the server and the stream while they are not there) and starts
   * pulling after the checkpoint's sequence. Null when a stop was asked meanwhile.
   */
  private async open(fold: Fold): Promise<StreamFeed | null> {
    const nats = this.settings;
    // Loaded here, not at start: the nats client is ~0.1 s of CPU every file-mode daemon paid at start.
    const [{ connectNats }, { StreamFeed }] = await Promise.all([import('../transport/natsStream.js'), import('../transport/streamFeed.js')]);
    const cancelled = new Promise<null>((resolve) => (this.cancelled = () => resolve(null)));
    let waiting = false;
    for (;;) {
      if (this.stopRequested) return null;
      try {
        const connecting = connectNats(nats.url);
        const nc = await Promise.race([connecting, cancelled]);
        if (nc === null) {
          // Cancelled first: a connection that still comes is closed, not left reconnecting.
          void connecting.then((late) => late.close()).catch(() => undefined);
          return null;
        }
        try {
          const feed = await StreamFeed.open(nc, { stream: nats.stream, durable: nats.consumer, from: this.resumeFrom, log: this.log, faults: this.faults });
          if (this.stopRequested) {
            await feed.close();
            return null;
          }
          if (feed.reset !== null) {
            this.log.warn({ why: feed.reset }, 'the checkpoint does not fit the stream: starting from its first message');
            this.resumeFrom = null;
            fold.adopt(fold.fresh());
          }
          this.feed = feed;
          this.log.info({ nats: nats.url, stream: nats.stream, consumer: nats.consumer, from_seq: feed.position().seq, last_seq: feed.target }, 'following the stream');
          return feed;
        } catch (error) {
          await nc.close().catch(() => undefined);
          throw error;
        }
      } catch (error) {
        if (!waiting) this.log.warn({ nats: nats.url, stream: nats.stream, err: error }, 'waiting for NATS and the stream');
        waiting = true;
        if ((await Promise.race([new Promise((resolve) => setTimeout(() => resolve(true), 1000)), cancelled])) === null) return null;
      }
    }
  }
}
