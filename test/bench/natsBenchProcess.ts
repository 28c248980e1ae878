/**
 * Helpers of the "nats" section: a real nats-server with the OAK stream and a client connection
 * to look into it, `oak-telemetry ship` child processes, and a watcher of snapshot.json that
 * notes when each new snapshot became readable. Everything here is stopped by its close/kill
 * (call them in a finally).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JetStreamManager, NatsConnection } from 'nats';
import { DEFAULT_STREAM, connectNats, ensureStream, kindOfSubject } from '../../src/transport/natsStream.js';
import { SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { NatsServer } from '../support/natsServer.js';
import { readSnapshot, wallNow } from './daemonBenchProcess.js';

export interface StoredLine {
  readonly seq: number;
  readonly kind: SourceKind;
  readonly byteOffset: number;
  readonly storedAt: number;
}

/** A fresh nats-server (JetStream, temp store) with the empty OAK stream, and a client of it. */
export class NatsFixture {
  private jsm: JetStreamManager | null = null;

  private constructor(
    readonly server: NatsServer,
    readonly nc: NatsConnection,
  ) {}

  get url(): string {
    return this.server.url;
  }

  /** Starts the server and creates the stream as a shipper would (config/default.json's settings). */
  static async open(): Promise<NatsFixture> {
    const server = await NatsServer.start();
    try {
      const nc = await connectNats(server.url);
      await ensureStream(nc, { name: DEFAULT_STREAM, replicas: 1, maxAgeHours: 0, maxBytes: -1 });
      return new NatsFixture(server, nc);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** Messages the stream holds now. */
  async storedMessages(): Promise<number> {
    this.jsm ??= await this.nc.jetstreamManager();
    return (await this.jsm.streams.info(DEFAULT_STREAM)).state.messages;
  }

  /**
   * Every message of the stream: its sequence, file kind, the byte offset of the line in its
   * file (from the shipper's message id, host:kind:fingerprint:offset) and when it was stored
   * (the server's timestamp, wall-clock ms).
   */
  async lineIndex(): Promise<StoredLine[]> {
    const total = await this.storedMessages();
    const out: StoredLine[] = [];
    if (total === 0) return out;
    const consumer = await this.nc.jetstream().consumers.get(DEFAULT_STREAM);
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const m of messages) {
      const id = m.headers?.get('Nats-Msg-Id') ?? '';
      const kind = kindOfSubject(m.subject);
      if (kind === null) throw new Error(`unexpected subject ${m.subject}`);
      out.push({ seq: m.seq, kind, byteOffset: Number(id.slice(id.lastIndexOf(':') + 1)), storedAt: m.info.timestampNanos / 1e6 });
      if (out.length >= total) break;
    }
    messages.stop();
    return out;
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
    await this.server.stop();
  }
}

/** `node cli ship ...` with its output tail kept for failure messages. */
export class ShipperProcess {
  readonly startedAt = wallNow();
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitCode: number | null | undefined = undefined;
  private output = '';

  constructor(cli: string, options: { dir: string; url: string; host: string; stateDir: string; pollMs: number }) {
    const args = ['ship', '--dir', options.dir, '--nats', options.url, '--host', options.host, '--state-dir', options.stateDir, '--poll-interval-ms', String(options.pollMs)];
    this.child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve();
      });
      this.child.on('error', () => {
        this.exitCode = null;
        resolve();
      });
    });
  }

  /** Throws when the shipper ended on its own (it should run until killed). */
  assertRunning(): void {
    if (this.exitCode !== undefined) throw new Error(`shipper exited (${String(this.exitCode)}): ${this.output.trim().slice(-500)}`);
  }

  /** SIGKILL: its state (offsets) is thrown away with the run. */
  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Watches a snapshot.json (fs.watch on its directory plus a stat poll every `everyMs`) and, for
 * each new one, keeps `pick(snapshot)` with the wall time this process read it.
 */
export class SnapshotWatch<T> {
  readonly seen: Array<{ readonly seenAt: number; readonly value: T }> = [];
  private lastKey = '';
  private readonly timer: NodeJS.Timeout;
  private watcher: fs.FSWatcher | null = null;

  constructor(
    private readonly file: string,
    private readonly pick: (snapshot: unknown) => T,
    everyMs = 3,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.watcher = fs.watch(path.dirname(file), () => this.look());
    this.timer = setInterval(() => this.look(), everyMs);
  }

  /** The first value seen that satisfies `test`, or undefined. */
  find(test: (value: T) => boolean): { readonly seenAt: number; readonly value: T } | undefined {
    return this.seen.find((s) => test(s.value));
  }

  close(): void {
    clearInterval(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }

  private look(): void {
    let key: string;
    try {
      const st = fs.statSync(this.file);
      key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return;
    }
    if (key === this.lastKey) return;
    this.lastKey = key;
    const seenAt = wallNow();
    const snapshot = readSnapshot(this.file);
    if (snapshot !== null) this.seen.push({ seenAt, value: this.pick(snapshot) });
  }
}

/** The parts of a snapshot the nats section reads (health.stream only in stream mode). */
export interface NatsSnapshotView {
  readonly sources: Record<SourceKind, { readonly offset: number }> | null;
  readonly health: {
    readonly events_applied: number;
    readonly stream?: { readonly seq: number; readonly lag_messages: number; readonly hosts: ReadonlyArray<{ readonly host: string; readonly messages: number }> };
  };
  readonly stats: { readonly total_invocations: number };
  readonly workflows: { readonly total_workflows: number };
}

export function fileOffsets(snapshot: NatsSnapshotView): number[] {
  return SOURCE_KINDS.map((kind) => snapshot.sources?.[kind].offset ?? 0);
}
