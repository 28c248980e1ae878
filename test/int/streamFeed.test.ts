/**
 * StreamFeed in process against a real nats-server (JetStream): what it hands to the fold, in
 * what order, where its position says to resume, and when a checkpoint's position is void.
 * No daemon, no shipper: the test publishes the messages itself.
 */
import type { NatsConnection } from 'nats';
import { describe, expect, it } from 'vitest';
import type { SourceKind } from '../../src/domain/sources.js';
import type { StreamPosition } from '../../src/domain/streamPosition.js';
import { connectNats, ensureStream, subjectOf } from '../../src/transport/natsStream.js';
import { StreamFeed, type StreamFeedOptions } from '../../src/transport/streamFeed.js';
import { capturedLog } from '../support/capturedLog.js';
import { cleanupsPerTest } from '../support/cleanups.js';
import { NatsServer } from '../support/natsServer.js';

const STREAM = 'OAK';
const cleanup = cleanupsPerTest();

async function server(): Promise<NatsServer> {
  const nats = await NatsServer.start();
  cleanup(() => nats.stop());
  return nats;
}

async function connection(url: string): Promise<NatsConnection> {
  const nc = await connectNats(url);
  cleanup(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}

/** Publishes `lines` as `ship` would (one message per line on oak.<kind>.<host>); returns their stream sequences. */
async function publish(nc: NatsConnection, host: string, kind: SourceKind, lines: readonly string[]): Promise<number[]> {
  const js = await ensureStream(nc, { name: STREAM, replicas: 1, maxAgeHours: 0, maxBytes: -1 });
  const seqs: number[] = [];
  for (const line of lines) seqs.push((await js.publish(subjectOf(kind, host), line)).seq);
  return seqs;
}

/** Opens a feed on its own connection (closed with it). */
async function openFeed(url: string, from: StreamPosition | null, durable: string | null = null) {
  const { log, lines: logLines } = capturedLog();
  const options: StreamFeedOptions = { stream: STREAM, durable, from, log };
  const feed = await StreamFeed.open(await connection(url), options);
  cleanup(() => feed.close());
  return { feed, logLines };
}

interface Applied {
  readonly kind: SourceKind;
  readonly text: string | undefined;
  readonly line: number;
}

/** Catches up and returns what was applied, in order. */
async function catchUp(feed: StreamFeed): Promise<Applied[]> {
  const applied: Applied[] = [];
  await feed.catchUp((kind, line) => applied.push({ kind, text: line.text, line: line.line }));
  return applied;
}

describe('StreamFeed against a real nats-server', () => {
  it('applies every stored message once, in stream order, with its kind from the subject and its sequence as line', async () => {
    const nats = await server();
    const nc = await connection(nats.url);
    await publish(nc, 'alpha', 'invocations', ['a1', 'a2']);
    await publish(nc, 'beta', 'metrics', ['b1']);
    await publish(nc, 'alpha', 'workflow_events', ['a3']);

    const { feed } = await openFeed(nats.url, null);
    expect(feed.target).toBe(4);
    const applied = await catchUp(feed);
    expect(applied).toEqual([
      { kind: 'invocations', text: 'a1', line: 1 },
      { kind: 'invocations', text: 'a2', line: 2 },
      { kind: 'metrics', text: 'b1', line: 3 },
      { kind: 'workflow_events', text: 'a3', line: 4 },
    ]);
    expect(feed.caughtUp()).toBe(true);
    const position = feed.position();
    expect(position).toMatchObject({ stream: STREAM, seq: 4 });
    expect(position.hosts.map((h) => [h.host, h.messages]).sort()).toEqual([
      ['alpha', 3],
      ['beta', 1],
    ]);
    expect(feed.lagMessages()).toBe(0);
  });

  it('messages published after the feed opened arrive (arrivals$), and drain(max) takes at most max', async () => {
    const nats = await server();
    const nc = await connection(nats.url);
    await publish(nc, 'alpha', 'invocations', ['old']);
    const { feed } = await openFeed(nats.url, null);
    await catchUp(feed);

    await publish(nc, 'alpha', 'metrics', ['m1', 'm2', 'm3']);
    const texts: string[] = [];
    while (texts.length < 3) {
      await feed.arrival(5000);
      const took = feed.drain((_kind, line) => texts.push(line.text ?? ''), 2);
      expect(took).toBeLessThanOrEqual(2);
    }
    expect(texts).toEqual(['m1', 'm2', 'm3']);
    expect(feed.position().seq).toBe(4);
  });

  it('resumed from a position, applies only what came after it, and the host counts go on from the position', async () => {
    const nats = await server();
    const nc = await connection(nats.url);
    await publish(nc, 'alpha', 'invocations', ['a1', 'a2']);
    const first = await openFeed(nats.url, null, 'oak-test');
    await catchUp(first.feed);
    const saved = first.feed.position();
    await first.feed.close();

    await publish(nc, 'alpha', 'invocations', ['a3']);
    const { feed } = await openFeed(nats.url, saved, 'oak-test');
    expect(feed.reset).toBeNull();
    expect((await catchUp(feed)).map((a) => a.text)).toEqual(['a3']);
    expect(feed.position().hosts).toEqual([expect.objectContaining({ host: 'alpha', messages: 3 })]);
  });

  it("a position of another stream (made again), or past the stream's end, is void: it starts from the first message and says why", async () => {
    const nats = await server();
    const nc = await connection(nats.url);
    await publish(nc, 'alpha', 'invocations', ['a1', 'a2']);
    const { feed: probe } = await openFeed(nats.url, null);
    const created = probe.position().created;

    const otherStream: StreamPosition = { stream: STREAM, created: '2000-01-01T00:00:00Z', seq: 1, hosts: [{ host: 'alpha', messages: 1, lastEventAt: null }] };
    const remade = await openFeed(nats.url, otherStream);
    expect(remade.feed.reset).toMatch(/was made again/);
    expect((await catchUp(remade.feed)).map((a) => a.text)).toEqual(['a1', 'a2']);
    expect(remade.feed.position().hosts).toEqual([expect.objectContaining({ host: 'alpha', messages: 2 })]);

    const pastTheEnd: StreamPosition = { stream: STREAM, created, seq: 99, hosts: [] };
    const past = await openFeed(nats.url, pastTheEnd);
    expect(past.feed.reset).toMatch(/ends at 2, before the checkpoint's 99/);
    expect((await catchUp(past.feed)).map((a) => a.text)).toEqual(['a1', 'a2']);
  });

  it('a stream that does not exist is refused at open with a message saying who makes it', async () => {
    const nats = await server();
    const { log } = capturedLog();
    await expect(StreamFeed.open(await connection(nats.url), { stream: STREAM, durable: null, from: null, log })).rejects.toThrow(/stream OAK not found \(start `oak-telemetry ship`/);
  });
});
