/**
 * A TCP proxy on a free loopback port in front of a server, that delays what the server sends
 * (so data is always in flight) and can cut every connection at once: what was in flight is
 * lost, as when a network drops a connection. For the scale-out tests.
 */
import net from 'node:net';

export class CuttableProxy {
  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    readonly port: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(upstreamPort: number, delayMs: number): Promise<CuttableProxy> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.connect(upstreamPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk) => upstream.write(chunk));
      // Server -> client, late: a cut drops whatever is still waiting here.
      upstream.on('data', (chunk) => {
        setTimeout(() => {
          if (!client.destroyed) client.write(chunk);
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new CuttableProxy(server, sockets, (server.address() as net.AddressInfo).port);
  }

  /** Destroys every connection through the proxy (new ones are accepted again). */
  cut(): void {
    for (const s of [...this.sockets]) s.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
