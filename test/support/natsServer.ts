/**
 * A real nats-server with JetStream on a free loopback port and a temp store, for the
 * scale-out tests (Debian's nats-server; `npm test` installs it when missing). Stopped by stop().
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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

export class NatsServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly storeDir: string,
  ) {}

  static async start(): Promise<NatsServer> {
    const port = await freePort();
    const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-nats-'));
    const child = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server not ready in 10 s:\n${output}`)), 10_000);
      const look = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', look);
      child.stderr?.on('data', look);
      child.once('exit', (code) => reject(new Error(`nats-server exited (${code}):\n${output}`)));
    });
    return new NatsServer(child, `nats://127.0.0.1:${port}`, storeDir);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}
