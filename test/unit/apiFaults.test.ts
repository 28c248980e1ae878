/**
 * I/O faults on the HTTP surfaces, in process: a FaultRegistry raised on directly, read by
 * /metrics (oak_io_errors_total, oak_io_faults_active) and /readyz (degraded, faults).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/http/apiServer.js';
import { EventStream } from '../../src/http/eventStream.js';
import { DaemonMetrics } from '../../src/http/metrics.js';
import { FaultRegistry } from '../../src/io/faults.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';

interface ParsedFamily {
  readonly name: string;
  readonly type: string;
  readonly metrics: ReadonlyArray<{ readonly value?: string; readonly labels?: Record<string, string> }>;
}

const log = pino({ level: 'silent' });
const events = new EventStream();
afterEach(() => events.close());

function daemonLike() {
  let now = Date.parse('2026-11-20T00:00:00Z');
  const faults = new FaultRegistry(log, () => new Date(now).toISOString());
  const ingest = new Ingest(initialState());
  const metrics = new DaemonMetrics({
    state: () => ingest.state,
    totals: () => ingest.totals,
    lagBytes: () => ({ invocations: 0, metrics: 0, workflow_events: 0 }),
    hosts: () => [],
    activeAlertNames: () => [],
    faults,
    overheadWindow: 50,
    rollingWindow: 20,
  });
  const app = buildApi({
    source: {
      state: () => ingest.state,
      snapshot: () => ({}),
      readiness: () => ({ ready: true, lag_bytes: 0 }),
      faults: () => faults.faults(),
      version: () => 0,
      clock: () => now,
    },
    events,
    token: null,
    log,
    metrics,
  });
  return { faults, app, tick: (ms: number) => (now += ms) };
}

async function scrape(app: ReturnType<typeof buildApi>): Promise<Map<string, ParsedFamily>> {
  const response = await app.inject({ url: '/metrics', headers: { host: '127.0.0.1' } });
  expect(response.statusCode).toBe(200);
  const { default: parse } = await import('parse-prometheus-text-format');
  return new Map(parse(response.body).map((f) => [f.name, f]));
}

const eisdir = () => Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: 'EISDIR' });

describe('I/O faults on /metrics and /readyz', () => {
  it('counts every failed attempt, shows the active faults, and keeps the count once they clear', async () => {
    const { faults, app, tick } = daemonLike();
    // nothing wrong: ready, not degraded, no fault series
    let ready = await app.inject({ url: '/readyz', headers: { host: '127.0.0.1' } });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, lag_bytes: 0, degraded: false, faults: [] });
    let families = await scrape(app);
    expect(families.get('oak_io_errors_total')?.type).toBe('COUNTER');
    expect(families.get('oak_io_errors_total')?.metrics ?? []).toEqual([]);

    // when a telemetry file became a directory and is tried three times, and the state dir fills once
    faults.raise('success_metrics.jsonl', 'read', eisdir());
    tick(1000);
    faults.raise('success_metrics.jsonl', 'read', eisdir());
    faults.raise('success_metrics.jsonl', 'read', eisdir());
    faults.raise('rejected.jsonl', 'append', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));

    // then /metrics counts each attempt and shows both faults
    families = await scrape(app);
    const errors = families.get('oak_io_errors_total')?.metrics ?? [];
    expect(errors.map((m) => [m.labels, Number(m.value)])).toEqual(
      expect.arrayContaining([
        [{ op: 'read', file: 'success_metrics.jsonl', code: 'EISDIR' }, 3],
        [{ op: 'append', file: 'rejected.jsonl', code: 'ENOSPC' }, 1],
      ]),
    );
    expect(families.get('oak_io_faults_active')?.type).toBe('GAUGE');
    expect((families.get('oak_io_faults_active')?.metrics ?? []).map((m) => [m.labels, Number(m.value)])).toEqual(
      expect.arrayContaining([
        [{ op: 'read', file: 'success_metrics.jsonl', code: 'EISDIR' }, 1],
        [{ op: 'append', file: 'rejected.jsonl', code: 'ENOSPC' }, 1],
      ]),
    );
    // and /readyz stays 200 (caught up, serving the last good state) but says degraded, and why
    ready = await app.inject({ url: '/readyz', headers: { host: '127.0.0.1' } });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      ready: true,
      degraded: true,
      faults: [
        { file: 'success_metrics.jsonl', op: 'read', code: 'EISDIR', since: '2026-11-20T00:00:00.000Z', attempts: 3 },
        { file: 'rejected.jsonl', op: 'append', code: 'ENOSPC', attempts: 1 },
      ],
    });

    // when both clear: no active fault, and the counter keeps what it counted (monotonic)
    faults.clear('success_metrics.jsonl', 'read');
    faults.clear('rejected.jsonl', 'append');
    families = await scrape(app);
    expect(families.get('oak_io_faults_active')?.metrics ?? []).toEqual([]);
    expect(errors.length).toBe(2);
    const after = families.get('oak_io_errors_total')?.metrics ?? [];
    expect(after.reduce((total, m) => total + Number(m.value), 0)).toBe(4);
    expect((await app.inject({ url: '/readyz', headers: { host: '127.0.0.1' } })).json()).toMatchObject({ degraded: false, faults: [] });
    await app.close();
  });
});
