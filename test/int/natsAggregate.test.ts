/**
 * Scale-out end to end with real processes: `oak-telemetry ship` per simulated host, real
 * nats-server (one, or a three-node cluster), and `oak-telemetry daemon --nats` aggregating.
 * Every scenario ends with the aggregator's snapshot equal to a batch replay of the union of
 * the hosts' files (per-agent and per-workflow figures), and the stream holding each line once.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';
import { CHECKPOINT_FILE } from '../../src/io/checkpointStore.js';
import { readLines } from '../../src/io/replayFiles.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { CLI, type DaemonProcess, delay, killAllDaemons, ROOT, startDaemon, tempDir, WaitFailed, waitUntil } from '../support/daemonHarness.js';
import { cleanupsPerTest } from '../support/cleanups.js';
import { CuttableProxy } from '../support/cuttableProxy.js';
import { NatsCluster, NatsServer, streamMessages } from '../support/natsServer.js';
import { Workload } from '../support/telemetryWorkload.js';

const run = promisify(execFile);
const cleanup = cleanupsPerTest(killAllDaemons);

function dir(prefix: string): string {
  const d = tempDir(prefix);
  cleanup(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(): Promise<NatsServer> {
  const nats = await NatsServer.start();
  cleanup(() => nats.stop());
  return nats;
}

/** `oak-telemetry ship` for one host, as a child process that can be stopped or killed. */
class ShipProcess {
  output = '';
  private readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(telemetryDir: string, url: string, host: string, extra: readonly string[] = []): ShipProcess {
    const child = spawn(process.execPath, [CLI, 'ship', '--dir', telemetryDir, '--nats', url, '--host', host, '--poll-interval-ms', '50', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    const ship = new ShipProcess(child);
    cleanup(() => ship.kill9());
    return ship;
  }

  logs(msg: string): number {
    return this.output.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;
  }

  async kill9(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

async function cliJson(telemetryDir: string, args: readonly string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args, '--json', '--dir', telemetryDir, '--source', 'replay'])).stdout;
}

/** `daemon --nats`; `waitReady` false when the stream does not exist yet (the daemon waits for it). */
async function aggregator(url: string, stateDir: string, waitReady = true, http = 'off'): Promise<DaemonProcess> {
  return startDaemon({ dir: dir('oak-agg-dir-'), stateDir, nats: url, pollIntervalMs: 100, checkpointIntervalMs: 200, snapshotIntervalMs: 25, waitReady, http });
}

/** What a batch replay of every host's files, one host after the other, says. */
function unionFigures(dirs: readonly string[]) {
  const ingest = new Ingest(initialState());
  let lines = 0;
  for (const d of dirs) {
    for (const kind of SOURCE_KINDS) {
      readLines(path.join(d, SOURCE_FILES[kind]), 1 << 20, (line) => {
        lines++;
        ingest.line(kind, line);
      });
    }
  }
  const p = ingest.totals.perSource;
  const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    figures: {
      stats: json(q.stats(ingest.state)),
      workflows: json(q.workflows(ingest.state)),
      overhead: json(q.overhead(ingest.state)),
      events_applied: p.invocations.applied + p.metrics.applied + p.workflow_events.applied,
      lines_rejected: ingest.rejectedCount,
      lag_messages: 0,
    },
    lines,
  };
}

type Snapshot = NonNullable<ReturnType<DaemonProcess['readSnapshot']>>;

function figuresOf(s: Snapshot) {
  const health = s.health as Snapshot['health'] & { stream?: { lag_messages: number } };
  return {
    stats: s.stats,
    workflows: s.workflows,
    overhead: s.overhead,
    events_applied: s.health.events_applied,
    lines_rejected: s.health.lines_rejected,
    lag_messages: health.stream?.lag_messages,
  };
}

/** Waits until the aggregator's snapshot equals the union replay; fails with the difference. */
async function expectUnionParity(daemon: DaemonProcess, dirs: readonly string[], timeoutMs = 30_000): Promise<Snapshot> {
  const { figures } = unionFigures(dirs);
  try {
    return await daemon.waitFor((s) => isDeepStrictEqual(figuresOf(s), figures), timeoutMs, 'aggregate == replay of the union of the hosts');
  } catch (error) {
    if (error instanceof WaitFailed && error.lastSnapshot !== null) expect(figuresOf(error.lastSnapshot), error.message).toEqual(figures);
    throw error;
  }
}

async function subjectCounts(url: string): Promise<Map<string, number>> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const info = await (await nc.jetstreamManager()).streams.info('OAK', { subjects_filter: 'oak.>' });
    return new Map(Object.entries(info.state.subjects ?? {}));
  } finally {
    await nc.close();
  }
}

async function waitForMessages(url: string, atLeast: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await streamMessages(url).catch(() => 0)) < atLeast) {
    if (Date.now() > deadline) throw new Error(`the stream did not reach ${atLeast} messages in ${timeoutMs} ms`);
    await delay(50);
  }
}

/**
 * Appends `rounds` bursts of `perRound` workflows to each host, `pauseMs` apart, interleaved across hosts.
 * The pause is the scenario (writers at a pace, an outage lasting while they write), not a wait for the daemon.
 */
async function writeBursts(loads: readonly Workload[], rounds: number, perRound: number, pauseMs: number, between?: (round: number) => Promise<void>): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const load of loads) load.workflows(perRound);
    await between?.(round);
    await delay(pauseMs);
  }
}

describe('scale-out: ship -> JetStream -> daemon --nats', () => {
  it('three shippers for three hosts writing at once: one aggregate equal to the union; health per host', async () => {
    const nats = await server();
    const hosts = ['alpha', 'beta', 'gamma'];
    const dirs = hosts.map((h) => dir(`oak-host-${h}-`));
    const agg = await aggregator(nats.url, dir('oak-agg-'), false);
    hosts.forEach((host, i) => ShipProcess.start(dirs[i] as string, nats.url, host));
    await writeBursts(
      dirs.map((d, i) => new Workload(d, hosts[i])),
      15,
      4,
      40,
    );
    const snapshot = await expectUnionParity(agg, dirs);
    const { lines } = unionFigures(dirs);
    expect(await streamMessages(nats.url)).toBe(lines);
    const stream = (snapshot.health as unknown as { stream: { seq: number; hosts: Array<{ host: string; messages: number; last_event_at: string | null; lag_messages: number }> } }).stream;
    expect(stream.seq).toBe(lines);
    expect(stream.hosts.map((h) => h.host)).toEqual(hosts);
    for (const [i, h] of stream.hosts.entries()) {
      expect(h.messages).toBe(unionFigures([dirs[i] as string]).lines);
      expect(h.lag_messages).toBe(0);
      expect(h.last_event_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    expect(snapshot.dir).toBe('nats:OAK');
    expect(snapshot.sources).toBeNull();
    await agg.stop();
  });

  it('one host: every figure of the aggregate equals file mode over the same files', async () => {
    const nats = await server();
    const d = dir('oak-host-one-');
    new Workload(d, 'solo').workflows(40);
    new Workload(d, 'solo-open').workflows(3, { open: true, estimateSeconds: 10 });
    const ship = ShipProcess.start(d, nats.url, 'solo');
    const agg = await aggregator(nats.url, dir('oak-agg-'));
    await expectUnionParity(agg, [d]);
    await ship.stop();
    await agg.stop();
    const fileDaemon = await startDaemon({ dir: d, stateDir: dir('oak-file-state-') });
    await fileDaemon.stop();
    const fromStream = agg.readSnapshot() as Snapshot;
    const fromFiles = fileDaemon.readSnapshot() as Snapshot;
    const sections = ['stats', 'workflows', 'overhead', 'overhead_window', 'agents', 'handoffs', 'gaps', 'estimates', 'bottlenecks'] as const;
    for (const section of sections) expect(fromStream[section], section).toEqual(fromFiles[section]);
    // The open workflows too (their ages depend on each snapshot's clock).
    const ids = (s: Snapshot) => (s.open_workflows.items as Array<{ workflow_id: string }>).map((w) => w.workflow_id);
    expect(ids(fromStream)).toEqual(ids(fromFiles));
  });

  it('the HTTP API, /metrics, the snapshot schema and MCP work in stream mode as in file mode', async () => {
    const nats = await server();
    const d = dir('oak-host-api-');
    new Workload(d, 'api').workflows(30);
    const ship = ShipProcess.start(d, nats.url, 'api-host');
    await waitForMessages(nats.url, unionFigures([d]).lines);
    const stateDir = dir('oak-agg-');
    const agg = await aggregator(nats.url, stateDir, true, '127.0.0.1:0');
    const snapshot = await expectUnionParity(agg, [d]);
    const base = (await agg.httpUrl()).replace(/\/$/, '');
    for (const [route, args] of [
      ['stats', ['stats']],
      ['workflows', ['workflows']],
      ['overhead', ['overhead']],
      ['handoffs', ['handoffs']],
    ] as const) {
      expect(await (await fetch(`${base}/api/v1/${route}`)).text(), route).toBe(await cliJson(d, args));
    }
    expect(JSON.parse(await (await fetch(`${base}/readyz`)).text())).toEqual({ ready: true, lag_bytes: 0, lag_messages: 0, degraded: false, faults: [] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('oak_host_lag_messages{host="api-host"} 0');
    expect(metrics).toMatch(/oak_host_last_event_timestamp_seconds\{host="api-host"\} \d+/);
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/snapshot.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    expect(validate(snapshot), JSON.stringify(validate.errors)).toBe(true);
    await agg.stop();
    // MCP over the stream: the aggregator's checkpoint, then what the stream gained since.
    new Workload(d, 'api-later').workflows(5);
    await waitForMessages(nats.url, unionFigures([d]).lines);
    const client = new Client({ name: 'oak-telemetry-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--nats', nats.url, '--state-dir', stateDir], stderr: 'pipe' }));
    cleanup(() => client.close());
    const answer = await client.callTool({ name: 'coordination_overhead', arguments: {} });
    const overhead = JSON.parse((answer as { content: Array<{ text: string }> }).content[0]?.text ?? '') as Record<string, unknown>;
    expect(overhead).toMatchObject(JSON.parse(await cliJson(d, ['overhead'])) as object);
    await ship.stop();
  });

  it('an invocations file rewritten in place to update a record (as the reference logger does) is shipped again; the aggregate follows', async () => {
    const nats = await server();
    const d = dir('oak-host-rewrite-');
    new Workload(d, 'rw').workflows(20);
    const ship = ShipProcess.start(d, nats.url, 'rw');
    const agg = await aggregator(nats.url, dir('oak-agg-'), false);
    await expectUnionParity(agg, [d]);
    const file = path.join(d, 'agent_invocations.jsonl');
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { outcome: { status: string } });
    for (const record of records.slice(-6)) record.outcome.status = 'failure';
    fs.writeFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
    const { figures } = unionFigures([d]);
    const same = (s: Snapshot) => ['stats', 'workflows', 'overhead'].every((k) => isDeepStrictEqual(figuresOf(s)[k as 'stats'], figures[k as 'stats']));
    await agg.waitFor(same, 20_000, 'aggregate follows the rewrite');
    // Only the rewritten file was shipped again: the other two are in the stream once.
    const counts = await subjectCounts(nats.url);
    const lines = (name: string) => fs.readFileSync(path.join(d, name), 'utf8').split('\n').filter((l) => l !== '').length;
    expect(counts.get('oak.metrics.rw')).toBe(lines('success_metrics.jsonl'));
    expect(counts.get('oak.workflow_events.rw')).toBe(lines('workflow_events.jsonl'));
    expect(counts.get('oak.invocations.rw')).toBe(2 * records.length);
    await ship.stop();
    await agg.stop();
  });

  it('a shipper killed with kill -9 during a burst and restarted: nothing lost, nothing stored twice', async () => {
    const nats = await server();
    const d = dir('oak-host-crash-');
    const agg = await aggregator(nats.url, dir('oak-agg-'), false);
    let ship = ShipProcess.start(d, nats.url, 'crashy');
    const load = new Workload(d, 'crashy');
    load.workflows(5);
    await waitForMessages(nats.url, 1);
    // Bursts of ~150 lines every 15 ms: the kill lands while lines are in flight.
    await writeBursts([load], 20, 15, 15, async (round) => {
      if (round === 10) await ship.kill9();
    });
    expect(await streamMessages(nats.url)).toBeLessThan(unionFigures([d]).lines);
    ship = ShipProcess.start(d, nats.url, 'crashy');
    await expectUnionParity(agg, [d]);
    expect(await streamMessages(nats.url)).toBe(unionFigures([d]).lines);
    await ship.stop();
    await agg.stop();
  });

  it('nats-server stopped for 10 s while agents keep writing, then started again: everything arrives once', async () => {
    const nats = await server();
    const d = dir('oak-host-outage-');
    const agg = await aggregator(nats.url, dir('oak-agg-'), false);
    const ship = ShipProcess.start(d, nats.url, 'outage');
    const load = new Workload(d, 'outage');
    await writeBursts([load], 5, 5, 50);
    await expectUnionParity(agg, [d]);
    await nats.halt();
    await writeBursts([load], 10, 5, 1000);
    await nats.run();
    await writeBursts([load], 3, 5, 50);
    await expectUnionParity(agg, [d], 40_000);
    expect(await streamMessages(nats.url)).toBe(unionFigures([d]).lines);
    // The outage is logged once, not per retry.
    expect(ship.logs('NATS unreachable')).toBeLessThanOrEqual(1);
    await ship.stop();
    await agg.stop();
  });

  it('connections cut while deliveries are in flight lose nothing (a gap or a stall pulls again)', async () => {
    const nats = await server();
    const proxy = await CuttableProxy.start(nats.port, 150);
    cleanup(() => proxy.stop());
    const d = dir('oak-host-cut-');
    const ship = ShipProcess.start(d, nats.url, 'cut');
    const agg = await aggregator(proxy.url, dir('oak-agg-'), false);
    const load = new Workload(d, 'cut');
    // Cut ~100 ms after a burst: shipped by then, and still in the proxy's 150 ms delay (the scenario's timing, not a wait).
    await writeBursts([load], 16, 20, 100, async (round) => {
      if (round % 4 !== 3) return;
      await delay(100);
      proxy.cut();
    });
    await expectUnionParity(agg, [d], 40_000);
    expect(await streamMessages(nats.url)).toBe(unionFigures([d]).lines);
    await ship.stop();
    await agg.stop();
  });

  it('the aggregator killed with kill -9 mid-stream and restarted resumes exactly after its checkpoint', async () => {
    const nats = await server();
    const d = dir('oak-host-agg-crash-');
    // Over 4 MiB of invocations: the shipper ships the backlog in steps.
    new Workload(d, 'bulk').workflows(2500);
    expect(fs.statSync(path.join(d, 'agent_invocations.jsonl')).size).toBeGreaterThan(4 * 1024 * 1024);
    const ship = ShipProcess.start(d, nats.url, 'bulk');
    const total = unionFigures([d]).lines;
    await waitForMessages(nats.url, total);
    const stateDir = dir('oak-agg-');
    let agg = await aggregator(nats.url, stateDir);
    // The daemon writes a checkpoint before it says it is ready; the kill must come after a later one.
    const checkpointFile = path.join(stateDir, CHECKPOINT_FILE);
    const atReady = { applied: agg.readSnapshot()?.health.events_applied ?? 0, ino: fs.statSync(checkpointFile).ino };
    const load = new Workload(d, 'more');
    load.workflows(50);
    // Killed after a checkpoint taken live (atomically replaced: a new inode), while lines keep arriving.
    await waitUntil(() => fs.statSync(checkpointFile).ino !== atReady.ino, 10_000, 'a checkpoint after the first live lines');
    load.workflows(50);
    await agg.kill9();
    load.workflows(50);
    agg = await aggregator(nats.url, stateDir);
    const resumed = agg.logsWith('resuming from checkpoint');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.events_applied, 'resumed from a checkpoint holding live lines').toBeGreaterThan(atReady.applied);
    await expectUnionParity(agg, [d]);
    await ship.stop();
    await agg.stop();
  });

  it('an aggregator stopped while waiting for NATS keeps its place; a stream made again starts the aggregate over', async () => {
    const nats = await server();
    const d = dir('oak-host-wait-');
    new Workload(d, 'wait').workflows(20);
    let ship = ShipProcess.start(d, nats.url, 'wait');
    const stateDir = dir('oak-agg-');
    let agg = await aggregator(nats.url, stateDir, false);
    await expectUnionParity(agg, [d]);
    await agg.stop();
    await ship.stop();
    await nats.halt();
    agg = await aggregator(nats.url, stateDir, false);
    await agg.waitForLog((l) => l.msg === 'waiting for NATS and the stream', 10_000);
    await agg.stop();
    await nats.run();
    agg = await aggregator(nats.url, stateDir);
    await expectUnionParity(agg, [d]);
    await agg.stop();
    // The stream deleted and made again (by a shipper of another host): the old position is void.
    const nc = await connect({ servers: nats.url });
    await (await nc.jetstreamManager()).streams.delete('OAK');
    await nc.close();
    const other = dir('oak-host-new-');
    new Workload(other, 'new').workflows(7);
    ship = ShipProcess.start(other, nats.url, 'new');
    await waitForMessages(nats.url, unionFigures([other]).lines);
    agg = await aggregator(nats.url, stateDir);
    expect(agg.logsWith('the checkpoint does not fit the stream: starting from its first message')).toHaveLength(1);
    await expectUnionParity(agg, [other]);
    await ship.stop();
    await agg.stop();
  });

  it('a three-node cluster (stream replicas 3) losing one node while events flow', async () => {
    const began = Date.now();
    const mark = (what: string) => process.stderr.write(`cluster: ${what} at ${Date.now() - began} ms\n`);
    const cluster = await NatsCluster.start();
    mark('started');
    cleanup(() => cluster.stop());
    const hosts = ['east', 'west'];
    const dirs = hosts.map((h) => dir(`oak-host-${h}-`));
    const agg = await aggregator(cluster.url, dir('oak-agg-'), false);
    const ships = hosts.map((host, i) => ShipProcess.start(dirs[i] as string, cluster.url, host, ['--replicas', '3']));
    cleanup(() => {
      if (process.env.OAK_DEBUG_CLUSTER) for (const ship of ships) process.stderr.write(ship.output.slice(-3000));
    });
    const loads = dirs.map((d, i) => new Workload(d, hosts[i]));
    await writeBursts(loads, 5, 4, 100);
    await expectUnionParity(agg, dirs, 45_000);
    mark('first parity');
    await writeBursts(loads, 10, 4, 100, async (round) => {
      if (round === 3) await (cluster.servers[0] as NatsServer).halt('SIGKILL');
    });
    mark('written');
    await expectUnionParity(agg, dirs, 45_000);
    mark('second parity');
    const survivors = cluster.servers.slice(1).map((s) => s.url).join(',');
    // JetStream API requests can time out while the cluster elects new leaders: ask again.
    const stored = async (): Promise<number> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await streamMessages(survivors);
        } catch (error) {
          if (attempt >= 10) throw error;
          await delay(1000);
        }
      }
    };
    expect(await stored()).toBe(unionFigures(dirs).lines);
    await agg.stop();
  }, 120_000);
});
