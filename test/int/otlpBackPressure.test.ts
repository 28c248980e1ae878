/**
 * The receiver under too much: a 50 MB body, 100k spans in one request, more requests at once
 * than it takes, a daemon whose fold is behind the log. Each gets the answer the OTLP spec asks
 * for (413, a success, 429 with Retry-After), the daemon keeps serving, and nothing else is lost.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DaemonProcess, daemonDirsPerTest, readJsonLines, startDaemon, waitForReplayParity } from '../support/daemonHarness.js';
import { manyAgentTraces, otlpTraceRequest } from '../support/otlpRequests.js';

const dirs = daemonDirsPerTest();
const MiB = 1024 * 1024;

async function startWithOtlp(config: Record<string, unknown> = {}): Promise<{ daemon: DaemonProcess; otlp: string; api: string; dir: string }> {
  const dir = dirs.make('oak-otlp-pressure-');
  const daemon = await startDaemon({ dir, otlp: '127.0.0.1:0', http: '127.0.0.1:0', config });
  return { daemon, otlp: await daemon.otlpUrl(5000), api: await daemon.httpUrl(5000), dir };
}

function post(otlp: string, body: Uint8Array): Promise<Response> {
  return fetch(`${otlp}/v1/traces`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/x-protobuf' } });
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * POSTs `total` bytes chunked (no Content-Length, so the size is known only while streaming),
 * stopping once the answer comes; resolves with the status and how much had been sent by then.
 */
function streamBody(otlp: string, total: number): Promise<{ status: number; sentBeforeAnswer: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      answered = true;
      const status = res.statusCode ?? 0;
      const sentBeforeAnswer = sent;
      res.resume();
      res.on('end', () => {
        req.destroy();
        resolve({ status, sentBeforeAnswer });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(MiB, 0x0a);
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('the OTLP receiver under too much (daemon --otlp)', () => {
  it('refuses a 50 MB body with 413 while it streams, without holding it, and goes on serving', async () => {
    const { daemon, otlp } = await startWithOtlp();
    const pid = daemon.child.pid as number;
    const before = peakRss(pid);

    // when 50 MB come chunked (the size known only as they arrive), then with a Content-Length
    const streamed = await streamBody(otlp, 50 * MiB);
    const declared = await post(otlp, new Uint8Array(50 * MiB));

    // then both get 413, the streamed one before its upload was done
    expect(streamed.status).toBe(413);
    expect(streamed.sentBeforeAnswer).toBeLessThan(40 * MiB);
    expect(declared.status).toBe(413);
    // and the daemon's peak memory grew by well under the body (it keeps at most the 16 MiB limit)
    expect(peakRss(pid) - before).toBeLessThan(40 * MiB);
    // and it takes the next request
    expect((await post(otlp, otlpTraceRequest([{ trace: 1, span: 1, agent: 'after-big-body' }]))).status).toBe(200);
    await daemon.waitFor((s) => s.stats.total_invocations === 1, 5000, 'the invocation after the big body');
    expect(daemon.hasExited).toBe(false);
  });

  it('takes 100k spans in one request, and a request beside it, losing nothing', async () => {
    const { daemon, otlp, dir } = await startWithOtlp();
    const big = otlpTraceRequest(manyAgentTraces(1000, 100));
    expect(big.length).toBeLessThan(16 * MiB);

    // when 1000 traces of 100 spans come in one request, and a small one at the same time
    const [bigAnswer, smallAnswer] = await Promise.all([post(otlp, big), post(otlp, otlpTraceRequest(manyAgentTraces(1, 3, 5000)))]);

    // then both are taken whole (no partialSuccess: an empty ExportTraceServiceResponse)
    expect(bigAnswer.status).toBe(200);
    expect(new Uint8Array(await bigAnswer.arrayBuffer()).length).toBe(0);
    expect(smallAnswer.status).toBe(200);
    // and every agent span is one invocation, every trace one workflow with its hand-off
    expect(readJsonLines(path.join(dir, 'agent_invocations.jsonl')).length).toBe(2002);
    const events = readJsonLines(path.join(dir, 'workflow_events.jsonl'));
    expect(events.filter((e) => e.event === 'workflow_complete').length).toBe(1001);
    expect(events.filter((e) => e.event === 'agent_handoff').length).toBe(1001);
    // and the daemon folds it all, as a replay does
    const { snapshot } = await waitForReplayParity(daemon, { timeoutMs: 20_000 });
    expect(snapshot.workflows.total_workflows).toBe(1001);
    expect((await post(otlp, otlpTraceRequest([{ trace: 9000, span: 1, agent: 'after' }]))).status).toBe(200);
  });

  it('answers 429 with Retry-After beyond otlp.maxRequestsInFlight, before reading the body', async () => {
    const { daemon, otlp, api } = await startWithOtlp({ otlp: { maxRequestsInFlight: 1 } });
    const body = otlpTraceRequest([{ trace: 1, span: 1, agent: 'slow-sender' }]);

    // when one request is in flight (its headers and half its body sent)
    const first = http.request(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-length': String(body.length) } });
    const firstAnswer = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(body.subarray(0, 10));
    let inFlight = '';
    const deadline = Date.now() + 5000;
    while (!/^oak_otlp_requests_in_flight 1$/m.test(inFlight) && Date.now() < deadline) inFlight = await (await fetch(`${api}metrics`)).text();
    expect(inFlight).toMatch(/^oak_otlp_requests_in_flight 1$/m);

    // then another is told to come back later
    const second = await post(otlp, otlpTraceRequest([{ trace: 2, span: 1, agent: 'turned-away' }]));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');

    // and once the first is done, it is taken, and so is the retry
    first.end(body.subarray(10));
    expect(await firstAnswer).toBe(200);
    expect((await post(otlp, otlpTraceRequest([{ trace: 2, span: 1, agent: 'turned-away' }]))).status).toBe(200);
    await daemon.waitFor((s) => s.stats.total_invocations === 2, 5000, 'both invocations');
    expect(await (await fetch(`${api}metrics`)).text()).toMatch(/^oak_otlp_requests_total\{route="\/v1\/traces",code="429"\} 1$/m);
  });

  it('answers 429 while the daemon has more of the log unfolded than otlp.maxLagBytes', async () => {
    const { daemon, otlp, dir } = await startWithOtlp({ otlp: { maxLagBytes: 16 } });
    const request = otlpTraceRequest([{ trace: 1, span: 1, agent: 'waits-for-the-fold' }]);

    // when the log holds bytes the fold cannot take yet (a line still being written)
    fs.appendFileSync(path.join(dir, 'success_metrics.jsonl'), '{"half a line that is not ended');
    // (lag is read from the files' sizes when asked, so it is over the bound at once)
    const refused = await post(otlp, request);

    // then the receiver says so with 429 and Retry-After
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toMatch(/not folded yet/);

    // and once the fold is level again, the retry is taken
    fs.appendFileSync(path.join(dir, 'success_metrics.jsonl'), '"}\n');
    await daemon.waitFor((s) => s.health.lines_rejected === 1 && s.health.lag_bytes === 0, 5000, 'the line folded (as a bad one)');
    expect((await post(otlp, request)).status).toBe(200);
    await daemon.waitFor((s) => s.stats.total_invocations === 1, 5000, 'the invocation');
  });
});
