/**
 * `oak-telemetry daemon --otlp` as a real process, fed by the real OpenTelemetry JS SDK and its
 * protobuf exporter: what it receives goes into the dir it follows, and its snapshot and HTTP
 * answers equal a replay of that dir. At stop, what the receiver still held is written and
 * folded into the final snapshot. Its write failures are faults like the others.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { context, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, type DaemonProcess, daemonDirsPerTest, readJsonLines, replayFigures, startDaemon, waitForReplayParity } from '../support/daemonHarness.js';
import { otlpTraceRequest } from '../support/otlpRequests.js';
import { fillUp, mountSmallTmpfs, tmpfsUnavailable, type SmallTmpfs } from '../support/smallTmpfs.js';

const run = promisify(execFile);
const dirs = daemonDirsPerTest();
const mounts: SmallTmpfs[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) m.dispose();
});

async function startWithOtlp(dir: string, extra: { stateDir?: string; config?: Record<string, unknown> } = {}): Promise<{ daemon: DaemonProcess; otlp: string; api: string }> {
  const daemon = await startDaemon({ dir, otlp: '127.0.0.1:0', http: '127.0.0.1:0', ...extra });
  return { daemon, otlp: await daemon.otlpUrl(5000), api: await daemon.httpUrl(5000) };
}

async function cliJson(dir: string, command: string): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, command, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

async function apiJson(api: string, route: string): Promise<unknown> {
  const res = await fetch(`${api}api/v1/${route}`);
  expect(res.status).toBe(200);
  return (await res.json()) as unknown;
}

function post(otlp: string, body: Uint8Array): Promise<Response> {
  return fetch(`${otlp}/v1/traces`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf' } });
}

const T0 = 1_796_171_000;
const at = (seconds: number): [number, number] => [T0 + Math.floor(seconds), Math.round((seconds % 1) * 1e9)];

/** A coordinator (0-10 s) delegating through a tool to the researcher (1.5-3.5 s), then to the writer (5-9 s). */
function coordinatorAndTwoSpecialists(provider: BasicTracerProvider, endRoot: boolean): void {
  const tracer = provider.getTracer('daemon-otlp');
  const under = (parent: Span) => trace.setSpan(context.active(), parent);
  const agent = (name: string, start: number, parent?: Span) =>
    tracer.startSpan(`invoke_agent ${name}`, { startTime: at(start), attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, 'gen_ai.conversation.id': 'conv-1' } }, parent === undefined ? context.active() : under(parent));
  const coordinator = agent('coordinator', 0);
  const tool = tracer.startSpan('execute_tool delegate', { startTime: at(1), attributes: { 'gen_ai.operation.name': 'execute_tool' } }, under(coordinator));
  agent('researcher', 1.5, tool).end(at(3.5));
  tool.end(at(4));
  agent('writer', 5, coordinator).end(at(9));
  if (endRoot) coordinator.end(at(10));
}

function provider(otlp: string): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'daemon-otlp-test' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlp}/v1/traces` }))],
  });
}

describe('daemon --otlp', () => {
  it("folds what the real exporter sends the way it folds the files: its snapshot and API equal a replay of the dir", async () => {
    const dir = dirs.make('oak-daemon-otlp-');
    const { daemon, otlp, api } = await startWithOtlp(dir);

    // when the real SDK exports a coordinator handing work to two specialists
    const sdk = provider(otlp);
    coordinatorAndTwoSpecialists(sdk, true);
    await sdk.forceFlush();

    // then the dir holds the records, and the snapshot equals a replay of it
    expect(readJsonLines(path.join(dir, 'agent_invocations.jsonl')).map((r) => r.agent_name).sort()).toEqual(['coordinator', 'researcher', 'writer']);
    const { snapshot } = await waitForReplayParity(daemon);
    expect(snapshot.stats.total_invocations).toBe(3);
    expect(snapshot.workflows.total_workflows).toBe(1);
    // and the API answers as the CLI does on a replay of the dir
    for (const route of ['stats', 'workflows', 'overhead', 'handoffs', 'gaps']) {
      expect(await apiJson(api, route), route).toEqual(await cliJson(dir, route));
    }
    expect(((await apiJson(api, 'handoffs')) as { handoffs: number }).handoffs).toBe(2);
    // and /metrics counts the request and its spans (4 spans: three agents and the tool)
    const metrics = await (await fetch(`${api}metrics`)).text();
    expect(metrics).toMatch(/^oak_otlp_requests_total\{route="\/v1\/traces",code="200"\} 1$/m);
    expect(metrics).toMatch(/^oak_otlp_spans_total\{result="accepted"\} 4$/m);

    // when a trace whose root never ends is exported, then the daemon stops
    coordinatorAndTwoSpecialists(sdk, false);
    await sdk.forceFlush();
    await sdk.shutdown();
    const startsBefore = readJsonLines(path.join(dir, 'workflow_events.jsonl')).filter((e) => e.event === 'workflow_start').length;
    await daemon.stop();

    // then the receiver wrote the held trace's start at stop, and the final snapshot has folded it
    const events = readJsonLines(path.join(dir, 'workflow_events.jsonl'));
    expect(startsBefore).toBe(1);
    expect(events.filter((e) => e.event === 'workflow_start').length).toBe(2);
    const final = daemon.readSnapshot();
    const replay = replayFigures(dir);
    expect({ stats: final?.stats, workflows: final?.workflows, applied: final?.health.events_applied }).toEqual({ stats: replay.stats, workflows: replay.workflows, applied: replay.applied });
  });

  it('refuses --otlp beside --nats with a usage error', async () => {
    const dir = dirs.make('oak-daemon-otlp-nats-');
    const failed = await run(process.execPath, [CLI, 'daemon', '--dir', dir, '--http', 'off', '--nats', 'nats://127.0.0.1:1', '--otlp', '127.0.0.1:0']).catch((e: unknown) => e as { code: number; stderr: string });
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/--otlp cannot be used with --nats/);
  });

  it.skipIf(tmpfsUnavailable !== null)('a write that fails is a fault (503 with Retry-After, health.faults, /metrics) and clears when the retry is written', async () => {
    const disk = mountSmallTmpfs(256 * 1024);
    mounts.push(disk);
    const dir = disk.dir;
    const stateDir = dirs.make('oak-daemon-otlp-state-');
    const { daemon, otlp, api } = await startWithOtlp(dir, { stateDir });
    const request = otlpTraceRequest([{ trace: 1, span: 1, agent: 'filler-victim' }]);

    // when the dir the daemon follows is full
    const filler = fillUp(dir);
    const refused = await post(otlp, request);

    // then the request is refused for a retry, and the fault shows where the others do
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    const faulted = await daemon.waitFor((s) => (s.health.faults ?? []).some((f) => f.op === 'append'), 5000, 'the append fault in health.faults');
    expect((faulted.health.faults ?? []).find((f) => f.op === 'append')).toMatchObject({ file: 'agent_invocations.jsonl', code: 'ENOSPC' });
    expect(await (await fetch(`${api}metrics`)).text()).toMatch(/^oak_io_faults_active\{op="append",file="agent_invocations.jsonl",code="ENOSPC"\} 1$/m);
    expect((await (await fetch(`${api}readyz`)).json()) as unknown).toMatchObject({ ready: true, degraded: true });

    // when room is made and the exporter retries
    fs.rmSync(filler);
    expect((await post(otlp, request)).status).toBe(200);

    // then the fault clears, and the invocation is there once
    await daemon.waitFor((s) => (s.health.faults ?? []).length === 0 && s.stats.total_invocations === 1, 5000, 'the fault cleared and the invocation folded');
    expect(readJsonLines(path.join(dir, 'agent_invocations.jsonl')).map((r) => r.agent_name)).toEqual(['filler-victim']);
    await daemon.stop();
  });
});
