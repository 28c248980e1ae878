/**
 * Real nats-server processes with JetStream on free loopback ports and temp stores, for the
 * scale-out tests (Debian's nats-server; `npm test` installs it when missing): one server, or
 * a cluster of three with routes between them. Stopped (and their stores removed) by stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'nats';

export const NATS_SERVER = '/usr/sbin/nats-server';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

interface ClusterPlace {
  readonly name: string;
  readonly serverName: string;
  readonly port: number;
  readonly routes: readonly number[];
}

export class NatsServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly cluster: ClusterPlace | null,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Everything the server printed (for failure messages). */
  get log(): string {
    return this.output;
  }

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'oak-nats-')), null);
    await server.run();
    return server;
  }

  static forCluster(port: number, storeDir: string, place: ClusterPlace): NatsServer {
    return new NatsServer(port, storeDir, place);
  }

  private args(): string[] {
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir];
    if (this.cluster !== null) {
      const routes = this.cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
      args.push('-n', this.cluster.serverName, '--cluster_name', this.cluster.name, '--cluster', `nats://127.0.0.1:${this.cluster.port}`, '--routes', routes);
    }
    return args;
  }

  /** Starts the process (again, on the same port and store); resolves once it is ready. */
  async run(): Promise<void> {
    const child = spawn(NATS_SERVER, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const readyMark = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server not ready in 15 s:\n${this.output.slice(-3000)}`)), 15_000);
      const look = (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
        if (this.output.indexOf('Server is ready', readyMark) >= 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', look);
      child.stderr?.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}):\n${this.output.slice(-3000)}`));
      });
    });
  }

  /** Ends the process (SIGTERM, or SIGKILL), keeping its store so run() can bring it back. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.halt();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** Three servers with routes between them (one JetStream cluster); `url` lists all three. */
export class NatsCluster {
  private constructor(readonly servers: readonly NatsServer[]) {}

  get url(): string {
    return this.servers.map((s) => s.url).join(',');
  }

  static async start(): Promise<NatsCluster> {
    const clusterPorts = [await freePort(), await freePort(), await freePort()];
    const servers = await Promise.all(
      clusterPorts.map(async (clusterPort, i) => {
        const place = { name: 'oak-test', serverName: `n${i + 1}`, port: clusterPort, routes: clusterPorts.filter((p) => p !== clusterPort) };
        return NatsServer.forCluster(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), `oak-nats-n${i + 1}-`)), place);
      }),
    );
    await Promise.all(servers.map((s) => s.run()));
    return new NatsCluster(servers);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

/** Messages the OAK stream holds now, asked over a connection of its own (`url`: one server or several, comma-separated). */
export async function streamMessages(url: string): Promise<number> {
  const nc = await connect({ servers: url.split(',') });
  try {
    return (await (await nc.jetstreamManager()).streams.info('OAK')).state.messages;
  } finally {
    await nc.close();
  }
}
