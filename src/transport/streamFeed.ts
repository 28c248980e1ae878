import { AckPolicy, type Consumer, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats';
import { Subject } from 'rxjs';
import type { SourceKind } from '../domain/sources.js';
import type { HostHealth, StreamPosition } from '../domain/streamPosition.js';
import { formatTimestampUs } from '../domain/time.js';
import type { Logger } from '../log.js';
import type { FaultSink } from '../io/faults.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { hostOfSubject, kindOfSubject } from './natsStream.js';

/**
 * The aggregating side of scale-out: follows a JetStream stream and hands its messages, in stream
 * order, to the same fold as the files' lines. The position (last applied stream sequence, and
 * per host what was applied) travels in the daemon's checkpoint; the checkpoint, not the
 * consumer, says where to resume, so a restart after kill -9 applies nothing twice and loses
 * nothing. The durable consumer is positioned at the checkpoint when they differ, and
 * acknowledges (AckAll) what was applied.
 *
 * Pulling stops while the buffer is full (and starts again after the last message received),
 * so memory stays bounded. Messages the server delivered but this process never received (a
 * connection cut mid-pull) show as a gap in the consumer's delivery sequence, or as the stream
 * holding more than arrives: either makes the consumer again right after the last message
 * received, as does a deleted consumer.
 */

export interface StreamFeedOptions {
  readonly stream: string;
  /** Durable consumer name; null: an ephemeral one (no acknowledgements), for readers that keep no checkpoint. */
  readonly durable: string | null;
  /** Where a checkpoint left off; null: from the first message. */
  readonly from: StreamPosition | null;
  readonly log: Logger;
  /** Where failures to reach the stream are counted (the daemon's fault registry). */
  readonly faults?: FaultSink;
}

/** Messages held in memory at most (plus one pull), before pulling waits for the fold. */
const BUFFER_LIMIT = 20_000;
/** Messages asked for per pull request. */
const BATCH = 1000;
/** Applied messages acknowledged together (AckAll), unless a second passed first. */
const ACK_EVERY = 1000;
/** The stream holds messages past the last one received, and none arrived for this long: pull again from there. */
const STALL_MS = 3000;
/** How often the per-host message counts are fetched from the server. */
const STREAM_INFO_INTERVAL_MS = 1000;
/** A message redelivered after this long without an acknowledgement is skipped by sequence anyway. */
const ACK_WAIT_MS = 60 * 1000;

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
  /** Messages past the last one received, as the server last said (null: not known yet). */
  private pending: number | null = null;
  /** When a message last arrived (for the stall check). */
  private lastArrivalMs = Date.now();
  /** Set when the stream was replaced while being followed: pulling stops, the position stays. */
  private replaced: string | null = null;
  /** Closes the current pull at once (on close, or when a gap or stall is found). */
  private abortPull: (() => void) | null = null;
  private wakeBackoff: (() => void) | null = null;
  private stallAborted = false;
  private unacknowledged = 0;
  private lastAckMs = 0;
  /** Stream sequence up to which the pull has buffered (the next consumer starts after it). */
  private pulledSeq: number;
  private lastApplied: JsMsg | null = null;
  private closed = false;
  private pumping: Promise<void> = Promise.resolve();
  private room: (() => void) | null = null;
  private infoTimer: NodeJS.Timeout | null = null;
  private failing = false;

  private infoFailing = false;

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
    if (from !== null && info.state.messages > 0 && info.state.first_seq > from.seq + 1) {
      // The stream's limits removed messages the aggregator never saw: say so, they are gone.
      options.log.warn({ stream: options.stream, from_seq: from.seq + 1, first_seq: info.state.first_seq, lost: info.state.first_seq - from.seq - 1 }, 'messages after the checkpoint were removed from the stream before they were applied');
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
    // The server saying nothing is left also covers a stream whose last messages were removed.
    return this.seq >= this.target || (this.pending === 0 && this.bufferedCount() === 0) || this.replaced !== null;
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
    if (applied > 0) {
      this.unacknowledged += applied;
      // One acknowledgement covers everything before it (AckAll): at most one a second or per ACK_EVERY messages.
      if (this.unacknowledged >= ACK_EVERY || Date.now() - this.lastAckMs >= 1000) this.acknowledge();
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

  /**
   * Applies everything stored when the feed opened, waiting for it to arrive, in drains of at
   * most `max`; `proceed` runs before each and stops early by returning false.
   */
  async catchUp(apply: (kind: SourceKind, line: RawLine) => void, proceed: () => boolean = () => true, max = Infinity): Promise<void> {
    while (!this.caughtUp() && proceed()) {
      this.drain(apply, max);
      if (!this.caughtUp()) await this.arrival();
    }
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
    return Math.max(0, this.lastSeqStored - this.seq, (this.pending ?? 0) + this.bufferedCount());
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
   * Acknowledges everything applied so far (AckAll on the last applied message): the server's
   * view of the durable consumer follows the aggregator, and nothing is sent twice while it
   * catches up. The checkpoint still decides where a restart resumes.
   */
  private acknowledge(): void {
    this.unacknowledged = 0;
    this.lastAckMs = Date.now();
    if (this.options.durable === null || this.lastApplied === null) return;
    try {
      this.lastApplied.ack();
      this.options.faults?.clear(this.options.stream, 'ack');
    } catch (error) {
      // The connection is gone: the next start positions the consumer from the checkpoint.
      this.options.faults?.raise(this.options.stream, 'ack', error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.infoTimer !== null) clearInterval(this.infoTimer);
    if (this.unacknowledged > 0) this.acknowledge();
    this.room?.();
    this.abortPull?.();
    this.wakeBackoff?.();
    this.arrivals$.complete();
    const within = (ms: number, work: Promise<unknown>) => Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
    // Acknowledgements out, but never past the daemon's shutdown limit (a half-open socket).
    await within(500, this.nc.flush());
    await within(500, this.nc.close());
    await within(500, this.pumping);
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
      this.options.faults?.clear(this.options.stream, 'info');
      // More is stored than arrived, the server counted some still to come, and nothing came for
      // a while: deliveries were lost (a cut connection at the tail); pull again after the last
      // received. (A tail the consumer will never deliver, e.g. purged, reads pending 0.)
      const stalled = info.state.last_seq > this.pulledSeq && this.pending !== 0 && this.bufferedCount() === 0;
      if (stalled && Date.now() - this.lastArrivalMs > STALL_MS) {
        this.lastArrivalMs = Date.now();
        this.stallAborted = true;
        this.abortPull?.();
      }
    } catch (error) {
      // Unreachable for now: the figures stay as they were; counted, and logged once while it lasts.
      if (this.options.faults) this.options.faults.raise(this.options.stream, 'info', error);
      else if (!this.infoFailing) this.options.log.warn({ stream: this.options.stream, err: error }, 'stream info unavailable; the lag figures stay as they were');
      this.infoFailing = true;
      return;
    }
    this.infoFailing = false;
  }

  /**
   * Pulls into the buffer while it has room. After a failure, a gap in the delivery sequence, a
   * stall or a full buffer, starts a consumer again right after the last message received.
   */
  private async pump(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed && this.replaced === null) {
      try {
        const consumer = await this.openConsumer();
        if (this.failing) this.options.log.info({ stream: this.options.stream }, 'stream reachable again: following it');
        this.options.faults?.clear(this.options.stream, 'pull');
        this.failing = false;
        backoffMs = 250;
        let lastDelivery = 0;
        // Pulls expire after 5 s (heartbeats every 2.5 s): a pull lost with a server is noticed within seconds.
        const messages = await consumer.consume({ max_messages: BATCH, expires: 5000, abort_on_missing_resource: true });
        this.abortPull = () => messages.stop();
        if (this.closed) messages.stop();
        let full = false;
        for await (const message of messages) {
          if (this.closed) return;
          const delivery = message.info.deliverySequence;
          if (lastDelivery !== 0 && delivery !== lastDelivery + 1) {
            messages.stop();
            throw new Error(`deliveries ${lastDelivery + 1}-${delivery - 1} never arrived`);
          }
          lastDelivery = delivery;
          this.pending = message.info.pending;
          this.lastArrivalMs = Date.now();
          if (message.seq <= this.pulledSeq) continue;
          this.pulledSeq = message.seq;
          if (message.seq > this.lastSeqStored) this.lastSeqStored = message.seq;
          this.buffer.push(message);
          this.arrivals$.next();
          if (this.bufferedCount() >= BUFFER_LIMIT) {
            // The pull keeps fetching whatever this loop takes: stop it, and start again after
            // the last message received once the fold made room.
            full = true;
            messages.stop();
          }
        }
        this.abortPull = null;
        if (this.closed) return;
        if (full) {
          await new Promise<void>((resolve) => (this.room = resolve));
          continue;
        }
        if (this.stallAborted) {
          this.stallAborted = false;
          throw new Error('no deliveries while the stream holds more');
        }
        throw new Error('the consumer stopped');
      } catch (error) {
        this.abortPull = null;
        if (this.closed) return;
        if (!this.failing && !this.options.faults) this.options.log.warn({ stream: this.options.stream, err: error }, 'stream unreachable or deliveries lost: pulling again after the last message received');
        // Counted on every attempt (oak_io_errors_total), shown in health.faults while it lasts.
        this.options.faults?.raise(this.options.stream, 'pull', error);
        this.failing = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffMs);
          this.wakeBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeBackoff = null;
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  /**
   * The consumer, starting right after the last message received: the durable one is kept when
   * the server's copy already stands exactly there and made again otherwise; without a durable
   * name, an ephemeral one (no acknowledgements, removed by the server when idle). A stream made
   * again under the same name while being followed stops the pulling (see `replaced`).
   */
  private async openConsumer(): Promise<Consumer> {
    const js = this.nc.jetstream();
    const jsm = await this.nc.jetstreamManager();
    const stream = await jsm.streams.info(this.options.stream);
    if (stream.created !== this.created) {
      this.replaced = `stream ${this.options.stream} was made again while being followed (created ${stream.created})`;
      this.options.log.error({ why: this.replaced }, 'the stream was replaced: stopped following it (restart the daemon to start over from the new stream)');
      this.arrivals$.next();
      throw new Error(this.replaced);
    }
    const start = this.pulledSeq + 1;
    const from = start <= 1 ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start };
    const durable = this.options.durable;
    if (durable === null) {
      const info = await jsm.consumers.add(this.options.stream, { ack_policy: AckPolicy.None, inactive_threshold: nanos(30_000), filter_subject: 'oak.>', ...from });
      this.pending = info.num_pending;
      return js.consumers.get(this.options.stream, info.name);
    }
    try {
      const info = await jsm.consumers.info(this.options.stream, durable);
      const exact = info.delivered.stream_seq === this.pulledSeq && info.num_ack_pending === 0 && info.config.ack_policy === AckPolicy.All;
      if (exact) {
        this.pending = info.num_pending;
        return js.consumers.get(this.options.stream, durable);
      }
      await jsm.consumers.delete(this.options.stream, durable);
    } catch (error) {
      if (!/consumer not found/i.test((error as Error).message)) throw error;
    }
    const info = await jsm.consumers.add(this.options.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: -1,
      filter_subject: 'oak.>',
      ...from,
    });
    this.pending = info.num_pending;
    return js.consumers.get(this.options.stream, durable);
  }
}
