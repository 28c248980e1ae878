import type { ServerResponse } from 'node:http';

/** How often an idle stream gets a comment line, so proxies and clients see it is alive. */
export const HEARTBEAT_MS = 15_000;
/** A client this far behind (not reading) is dropped rather than buffered for without end. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Streams open at once; more are refused with 503. */
export const MAX_CLIENTS = 64;

/**
 * Server-Sent Events for /api/v1/events: `snapshot` whenever the daemon writes one, `alert`
 * and `resolved` as they happen, a heartbeat comment when idle. Every event has an id; a
 * client that connects (or reconnects with Last-Event-ID) gets the current snapshot at once.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private nextId = 1;
  private latestSnapshot: string | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor() {
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response: headers, the current snapshot, then every event until it closes. */
  attach(res: ServerResponse): void {
    if (this.closed || this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
      res.end(`${JSON.stringify({ error: 'unavailable', message: this.closed ? 'shutting down' : 'too many event streams open' })}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    if (this.latestSnapshot !== null) res.write(this.frame('snapshot', this.latestSnapshot));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  snapshot(json: string): void {
    this.latestSnapshot = json;
    // Framing a snapshot costs about as much as serializing it: not for nobody (the id still moves on).
    if (this.clients.size === 0) this.nextId++;
    else this.writeAll(this.frame('snapshot', json));
  }

  alert(event: 'alert' | 'resolved' | 'notice', json: string): void {
    this.writeAll(this.frame(event, json));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private frame(event: string, json: string): string {
    // One data line per line of the (indented) JSON; clients join them back with newlines.
    const data = `data: ${json.replace(/\n$/, '').replaceAll('\n', '\ndata: ')}`;
    return `id: ${this.nextId++}\nevent: ${event}\n${data}\n\n`;
  }

  private writeAll(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }
}
