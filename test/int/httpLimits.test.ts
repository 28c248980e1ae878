/**
 * The HTTP API under hostile load, against the real daemon: a flood of heavy requests does not
 * starve /healthz or the following of the files (answers are shared per state version, the
 * rest wait their turn or get 429 with Retry-After), and idle connections holding a partial
 * header cannot take the daemon's file descriptors (a connection cap, a headers timeout).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEADERS_TIMEOUT_MS, MAX_CONNECTIONS } from '../../src/http/limits.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import { CLI, type DaemonProcess, killAllDaemons, ROOT, startDaemon, tempDir, waitUntil } from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const run = promisify(execFile);
const sockets: net.Socket[] = [];
const dirs = tempDirsPerTest(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await killAllDaemons();
});

async function baseUrl(daemon: DaemonProcess): Promise<string> {
  return (await daemon.httpUrl()).replace(/\/$/, '');
}

/** A generated telemetry dir big enough that one heavy answer costs tens of milliseconds. */
async function generatedDir(workflows: number): Promise<string> {
  const dir = tempDir('oak-limits-');
  dirs.track(dir);
  await run(process.execPath, [CLI, 'generate', '--out', dir, '--workflows', String(workflows), '--seed', '7']);
  return dir;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly ms: number;
}

/** A GET whose body is discarded unread, so the client's own work does not skew the timings. */
function hit(url: string, agent: http.Agent): Promise<Answer> {
  const began = performance.now();
  return new Promise((resolve) => {
    const request = http.get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], ms: performance.now() - began }),
      );
    });
    request.on('error', (error) => resolve({ status: 0, retryAfter: error.message, ms: performance.now() - began }));
  });
}

interface FloodSummary {
  readonly answered: number;
  readonly statuses: Record<string, number>;
  readonly retryAfter: string[];
}

/** test/support/httpFlood.mjs in its own process: heavy requests without pause until stopped. */
class Flood {
  private readonly child: ChildProcess;
  private readonly lines: Array<{ answered: number }> = [];
  private rest = '';

  constructor(base: string, concurrency: number) {
    this.child = spawn(process.execPath, [path.join(ROOT, 'test/support/httpFlood.mjs'), base, String(concurrency)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (this.rest + chunk.toString('utf8')).split('\n');
      this.rest = parts.pop() ?? '';
      for (const part of parts) this.lines.push(JSON.parse(part) as { answered: number });
    });
  }

  get count(): number {
    return this.lines.at(-1)?.answered ?? 0;
  }

  answered(n: number): Promise<void> {
    return waitUntil(() => this.count >= n, 30_000, `${n} heavy answers`);
  }

  async stop(): Promise<FloodSummary> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin?.end();
    await exited;
    return this.lines.at(-1) as unknown as FloodSummary;
  }
}

describe('HTTP API under load', () => {
  it('a flood of heavy requests leaves /healthz fast and new lines flowing; beyond the bound: 429 with Retry-After', async () => {
    // given a daemon on 1,000 generated workflows (gaps?limit=0 walks every invocation)
    const dir = await generatedDir(1000);
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    const before = daemon.readSnapshot()?.health.events_applied ?? 0;

    // when 50 clients (another process) ask for heavy views without pause: the same view, and
    // views that differ by parameters (each a separate computation)
    const flood = new Flood(base, 50);
    const probes: number[] = [];
    let probing = true;
    const probe = (async () => {
      const probeAgent = new http.Agent({ keepAlive: false });
      while (probing) probes.push((await hit(`${base}/healthz`, probeAgent)).ms);
    })();
    let seen: Snapshot;
    let lateMs: number;
    let summary: FloodSummary;
    try {
      await flood.answered(200);
      // and a workflow is appended while it runs
      const appendedAt = performance.now();
      new Workload(dir, 'flood').workflow();
      seen = await daemon.waitFor((s) => s.health.events_applied >= before + 10, 10_000, 'the appended workflow in the snapshot');
      lateMs = performance.now() - appendedAt;
      await flood.answered(flood.count + 100);
    } finally {
      probing = false;
      summary = await flood.stop();
      await probe;
    }

    // then /healthz answered within a second throughout, and the line showed while the flood ran
    expect(seen.health.events_applied).toBeGreaterThanOrEqual(before + 10);
    expect(probes.length).toBeGreaterThan(5);
    expect(Math.max(...probes), `healthz latencies (ms): ${probes.map((p) => p.toFixed(0)).join(' ')}`).toBeLessThan(1000);
    expect(lateMs, 'the appended workflow reached the snapshot within 3 s').toBeLessThan(3000);
    // and what was not served was refused with a time to come back, never failed
    expect(Object.keys(summary.statuses).sort(), JSON.stringify(summary)).toEqual(['200', '429']);
    for (const retry of summary.retryAfter) expect(Number(retry), JSON.stringify(summary)).toBeGreaterThanOrEqual(1);
    // and an answer served again from the cache is the CLI's answer for the files as they are
    const [first, again, cli] = await Promise.all([
      fetch(`${base}/api/v1/gaps?limit=0`).then((r) => r.text()),
      fetch(`${base}/api/v1/gaps?limit=0`).then((r) => r.text()),
      run(process.execPath, [CLI, 'gaps', '--limit', '0', '--json', '--dir', dir, '--source', 'replay'], { maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout),
    ]);
    expect(again).toBe(first);
    expect(first).toBe(cli);
    await daemon.stop();
  }, 90_000);

  it('idle connections with a partial header: beyond the cap closed at once, the rest timed out; the daemon keeps its descriptors', async () => {
    // given a daemon limited to 512 file descriptors (as `ulimit -n 512`)
    const dir = await generatedDir(50);
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    const { port } = new URL(base);
    await run('prlimit', ['--pid', String(daemon.child.pid), '--nofile=512:512']);
    const before = daemon.readSnapshot()?.health.events_applied ?? 0;

    // when 600 loopback connections each send half a request and wait
    let closed = 0;
    const opened = Array.from({ length: 600 }, () => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
      sockets.push(socket);
      socket.on('error', () => undefined);
      // Read what comes (a 408), or the end of the stream is never seen.
      socket.resume();
      socket.on('close', () => closed++);
      socket.on('connect', () => socket.write('GET /api/v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
      return new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('close', () => resolve());
      });
    });
    await Promise.all(opened);
    const begun = performance.now();
    // then those beyond the cap are closed at once
    await waitUntil(() => closed >= 600 - MAX_CONNECTIONS, 5000, `${600 - MAX_CONNECTIONS} connections beyond the cap closed`);
    expect(performance.now() - begun).toBeLessThan(HEADERS_TIMEOUT_MS);
    // and a line appended meanwhile is read and folded (no EMFILE)
    new Workload(dir, 'idle').workflow();
    await daemon.waitFor((s) => s.health.events_applied >= before + 10, 10_000, 'the appended workflow in the snapshot');
    // and the rest are closed by the headers timeout, after which the API answers again
    await waitUntil(() => closed === 600, HEADERS_TIMEOUT_MS + 5000, 'every partial-header connection closed');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/stats`)).status).toBe(200);
    expect(daemon.hasExited).toBe(false);
    await daemon.stop();
  }, 60_000);
});
