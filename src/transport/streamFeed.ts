import { AckPolicy, type Consumer, type ConsumerMessages, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats';
import { Subject } from 'rxjs';
import type { SourceKind } from '../domain/sources.js';
import type { StreamPosition } from '../domain/streamPosition.js';
import { formatTimestampUs } from '../domain/time.js';
import type { Logger } from '../log.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { hostOfSubject, kindOfSubject } from './natsStream.js';

/**
 * The aggregating side of scale-out: follows a JetStream stream and hands its messages, in stream
 * order, to the same fold as the files' lines. The position (last applied stream sequence, and
 * per host what was applied) travels in the daemon's checkpoint; the checkpoint, not the
 * consumer, says where to resume, so a restart after kill -9 applies nothing twice and loses
 * nothing. The durable consumer is positioned at the checkpoint when they differ (AckAll: the
 * daemon acknowledges a sequence once a checkpoint holding it is on disk).
 */

export interface HostHealth {
  readonly host: string;
  readonly messages: number;
  readonly last_event_at: string | null;
  /** Messages of this host in the stream and not yet applied (as of the last look at the stream). */
  readonly lag_messages: number;
}

export interface StreamFeedOptions {
  readonly stream: string;
  /** Durable consumer name; null: an ordered (ephemeral) consumer, for readers that keep no checkpoint. */
  readonly durable: string | null;
  /** Where a checkpoint left off; null: from the first message. */
  readonly from: StreamPosition | null;
  readonly log: Logger;
}

/** Messages held in memory at most, before the pull waits for the fold. */
const BUFFER_LIMIT = 20_000;
/** How often the per-host message counts are fetched from the server. */
const STREAM_INFO_INTERVAL_MS = 1000;
/** A message redelivered after this long without an acknowledgement is skipped by sequence anyway. */
const ACK_WAIT_MS = 5 * 60 * 1000;

export class StreamFeed {
  /** Fires when messages were added to the buffer (or the feed failed and recovered). */
  readonly arrivals$ = new Subject<void>();
  /** Why the checkpoint's position could not be used (the caller starts from an empty state), or null. */
  readonly reset: string | null;
  private readonly buffer: JsMsg[] = [];
  private head = 0;
  private seq: number;
  private readonly hostTable = new Map<string, { messages: number; lastEventAt: string | null }>();
  /** Messages per host stored in the stream, from the last stream info. */
  private stored = new Map<string, number>();
  private lastSeqStored = 0;
  private pending = 0;
  /** Stream sequence up to which the pull has buffered (the next consumer starts after it). */
  private pulledSeq: number;
  private lastApplied: JsMsg | null = null;
  private closed = false;
  private messages: ConsumerMessages | null = null;
  private pumping: Promise<void> = Promise.resolve();
  private room: (() => void) | null = null;
  private infoTimer: NodeJS.Timeout | null = null;
  private failing = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: StreamFeedOptions,
    readonly created: string,
    /** The stream's last sequence when the feed opened: catching up means reaching it. */
    readonly target: number,
    from: StreamPosition | null,
    reset: string | null,
  ) {
    this.reset = reset;
    this.seq = from?.seq ?? 0;
    this.pulledSeq = this.seq;
    for (const h of from?.hosts ?? []) this.hostTable.set(h.host, { messages: h.messages, lastEventAt: h.lastEventAt });
  }

  /** Opens the stream (which must exist: the shippers create it) and starts pulling after `from`. */
  static async open(nc: NatsConnection, options: StreamFeedOptions): Promise<StreamFeed> {
    const jsm = await nc.jetstreamManager();
    let info;
    try {
      info = await jsm.streams.info(options.stream);
    } catch (error) {
      throw new Error(`stream ${options.stream} not found (start \`oak-telemetry ship\`, which creates it, or make it over oak.>): ${(error as Error).message}`, { cause: error });
    }
    let from = options.from;
    let reset: string | null = null;
    if (from !== null && from.created !== info.created) {
      reset = `stream ${options.stream} was made again (created ${info.created}, the checkpoint is of ${from.created})`;
      from = null;
    } else if (from !== null && from.seq > info.state.last_seq) {
      reset = `stream ${options.stream} ends at ${info.state.last_seq}, before the checkpoint's ${from.seq}`;
      from = null;
    }
    // An empty stream (perhaps purged: last_seq stays) has nothing to catch up on.
    const target = info.state.messages === 0 ? (from?.seq ?? 0) : info.state.last_seq;
    const feed = new StreamFeed(nc, options, info.created, target, from, reset);
    feed.lastSeqStored = info.state.last_seq;
    await feed.refreshStored();
    feed.start();
    return feed;
  }

  /** Whether everything stored when the feed opened has been applied. */
  caughtUp(): boolean {
    return this.seq >= this.target || (this.pending === 0 && this.bufferedCount() === 0 && this.pulledSeq >= this.target);
  }

  bufferedCount(): number {
    return this.buffer.length - this.head;
  }

  /**
   * Hands buffered messages to `apply` in stream order (at most `max`), skipping any at or before
   * the applied sequence (redeliveries). Returns how many were applied.
   */
  drain(apply: (kind: SourceKind, line: RawLine) => void, max = Infinity): number {
    let applied = 0;
    while (this.head < this.buffer.length && applied < max) {
      const message = this.buffer[this.head++] as JsMsg;
      if (message.seq <= this.seq) continue;
      this.seq = message.seq;
      this.lastApplied = message;
      const host = hostOfSubject(message.subject);
      const entry = this.hostTable.get(host) ?? { messages: 0, lastEventAt: null };
      entry.messages++;
      entry.lastEventAt = formatTimestampUs(Math.floor(message.info.timestampNanos / 1000));
      this.hostTable.set(host, entry);
      const kind = kindOfSubject(message.subject);
      if (kind !== null) apply(kind, { bytes: null, text: message.string(), line: message.seq, byteOffset: 0 });
      applied++;
    }
    if (this.head === this.buffer.length) {
      this.buffer.length = 0;
      this.head = 0;
    } else if (this.head > 4096) {
      this.buffer.splice(0, this.head);
      this.head = 0;
    }
    if (this.bufferedCount() < BUFFER_LIMIT / 2 && this.room !== null) {
      const wake = this.room;
      this.room = null;
      wake();
    }
    return applied;
  }

  /** Resolves when messages arrive, or after `ms` at the latest. */
  arrival(ms = 200): Promise<void> {
    if (this.bufferedCount() > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        subscription.unsubscribe();
        resolve();
      }, ms);
      const subscription = this.arrivals$.subscribe(() => {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve();
      });
    });
  }

  position(): StreamPosition {
    return {
      stream: this.options.stream,
      created: this.created,
      seq: this.seq,
      hosts: [...this.hostTable].map(([host, h]) => ({ host, messages: h.messages, lastEventAt: h.lastEventAt })),
    };
  }

  /** Messages in the stream not yet applied. */
  lagMessages(): number {
    return Math.max(0, this.lastSeqStored - this.seq, this.pending + this.bufferedCount());
  }

  /** Per host: messages applied, when the last one was stored, and how many wait. */
  hosts(): HostHealth[] {
    const names = new Set([...this.hostTable.keys(), ...this.stored.keys()]);
    return [...names].sort().map((host) => {
      const applied = this.hostTable.get(host);
      const messages = applied?.messages ?? 0;
      return { host, messages, last_event_at: applied?.lastEventAt ?? null, lag_messages: Math.max(0, (this.stored.get(host) ?? 0) - messages) };
    });
  }

  /**
   * Returns how to acknowledge everything applied so far (AckAll on the last applied message),
   * to be called once a checkpoint holding it is on disk, so the server's view of the durable
   * consumer says what the aggregator keeps.
   */
  acknowledger(): () => void {
    const message = this.lastApplied;
    if (this.options.durable === null || message === null) return () => undefined;
    return () => {
      try {
        message.ack();
      } catch {
        // The connection is gone: the next start positions the consumer from the checkpoint.
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.infoTimer !== null) clearInterval(this.infoTimer);
    this.room?.();
    this.arrivals$.complete();
    // Ends the pull loop (an iterator left running would wait on the closed connection forever).
    this.messages?.stop();
    await this.nc.flush().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
    await this.pumping.catch(() => undefined);
  }

  private start(): void {
    this.infoTimer = setInterval(() => void this.refreshStored(), STREAM_INFO_INTERVAL_MS);
    this.pumping = this.pump();
  }

  private async refreshStored(): Promise<void> {
    try {
      const jsm = await this.nc.jetstreamManager();
      const info = await jsm.streams.info(this.options.stream, { subjects_filter: 'oak.>' });
      const stored = new Map<string, number>();
      for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
        if (kindOfSubject(subject) === null) continue;
        const host = hostOfSubject(subject);
        stored.set(host, (stored.get(host) ?? 0) + count);
      }
      this.stored = stored;
      this.lastSeqStored = info.state.last_seq;
    } catch {
      // Unreachable for now: the figures stay as they were.
    }
  }

  /** Pulls messages into the buffer; after a failure, starts a consumer again after the last buffered one. */
  private async pump(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed) {
      try {
        const consumer = await this.openConsumer();
        // Pulls expire after 5 s (heartbeats every 2.5 s): a pull lost with a server is noticed within seconds.
        const messages = await consumer.consume({ max_messages: 1000, expires: 5000 });
        this.messages = messages;
        if (this.closed) messages.stop();
        if (this.failing) this.options.log.info({ stream: this.options.stream }, 'stream reachable again: following it');
        this.failing = false;
        backoffMs = 250;
        for await (const message of messages) {
          if (this.closed) break;
          if (message.seq <= this.pulledSeq) continue;
          this.pulledSeq = message.seq;
          this.pending = message.info.pending;
          if (message.seq > this.lastSeqStored) this.lastSeqStored = message.seq;
          this.buffer.push(message);
          this.arrivals$.next();
          if (this.bufferedCount() >= BUFFER_LIMIT) await new Promise<void>((resolve) => (this.room = resolve));
        }
        if (this.closed) return;
        throw new Error('the consumer stopped');
      } catch (error) {
        if (this.closed) return;
        if (!this.failing) this.options.log.warn({ stream: this.options.stream, err: error }, 'stream unreachable: retrying with backoff');
        this.failing = true;
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  /**
   * The durable consumer, starting right after what was pulled: kept when the server's copy
   * already stands exactly there, made again otherwise. Without a durable name, an ordered one.
   */
  private async openConsumer(): Promise<Consumer> {
    const js = this.nc.jetstream();
    const start = this.pulledSeq + 1;
    const durable = this.options.durable;
    if (durable === null) {
      return js.consumers.get(this.options.stream, start <= 1 ? {} : { opt_start_seq: start, deliver_policy: DeliverPolicy.StartSequence });
    }
    const jsm = await this.nc.jetstreamManager();
    try {
      const info = await jsm.consumers.info(this.options.stream, durable);
      const exact = info.delivered.stream_seq === this.pulledSeq && info.num_ack_pending === 0 && info.config.ack_policy === AckPolicy.All;
      if (exact) return js.consumers.get(this.options.stream, durable);
      await jsm.consumers.delete(this.options.stream, durable);
    } catch (error) {
      if (!/consumer not found/i.test((error as Error).message)) throw error;
    }
    await jsm.consumers.add(this.options.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: -1,
      filter_subject: 'oak.>',
      ...(start <= 1 ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
    });
    return js.consumers.get(this.options.stream, durable);
  }
}
