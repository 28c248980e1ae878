/**
 * The daemon's HTTP API against the real daemon process: every body equals what the CLI's
 * --json prints for the same question (byte for byte), bad requests are 400s that name the
 * parameter, tokens guard everything but /healthz, and /api/v1/events streams snapshots.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import { CLI, daemonDirsPerTest, type DaemonProcess, FIXTURE_150, fixtureDir, startDaemon } from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const run = promisify(execFile);
const NOW = '2026-11-20T00:00:00Z';
const dirs = daemonDirsPerTest();

const track = (dir: string): string => dirs.track(dir);

async function baseUrl(daemon: DaemonProcess): Promise<string> {
  return (await daemon.httpUrl()).replace(/\/$/, '');
}

async function cliJson(dir: string, args: readonly string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args, '--json', '--dir', dir, '--source', 'replay'])).stdout;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

/** A workflow of the fixture, for its timeline. */
const WORKFLOW = (JSON.parse(fs.readFileSync(`${FIXTURE_150}/workflow_events.jsonl`, 'utf8').split('\n')[0] as string) as { workflow_id: string }).workflow_id;

describe('HTTP API: the same answers as the CLI', () => {
  it('every query route returns exactly what the CLI prints with --json', async () => {
    // given a daemon on the 150-workflow fixture plus agents named "__proto__" and with unicode and a slash
    const dir = track(fixtureDir());
    for (const agent of ['__proto__', 'ünïcødé ✓', 'a/b']) {
      for (let i = 0; i < 2; i++) {
        appendLine(`${dir}/agent_invocations.jsonl`, JSON.stringify({
          timestamp: `2026-11-1${i}T10:00:00.000000Z`, session_id: 's', invocation_id: `odd-${agent}-${i}`, agent_name: agent,
          agent_type: 'general', task_description: 'write tests', outcome: { status: 'success' }, duration_seconds: 5,
        }));
      }
    }
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    const task = 'write tests for the payment api';
    const cases: Array<[string, string[]]> = [
      ['/api/v1/stats', ['stats']],
      ['/api/v1/workflows', ['workflows']],
      ['/api/v1/overhead', ['overhead']],
      [`/api/v1/open?now=${NOW}`, ['open', '--now', NOW]],
      ['/api/v1/agents?window=5', ['agents', '--window', '5']],
      [`/api/v1/trends/backend-architect?days=14&now=${NOW}`, ['trends', 'backend-architect', '--days', '14', '--now', NOW]],
      [`/api/v1/trends/__proto__?now=${NOW}`, ['trends', '__proto__', '--now', NOW]],
      [`/api/v1/trends/${encodeURIComponent('ünïcødé ✓')}?now=${NOW}`, ['trends', 'ünïcødé ✓', '--now', NOW]],
      [`/api/v1/trends/a%2Fb?now=${NOW}`, ['trends', 'a/b', '--now', NOW]],
      ['/api/v1/ranking?task_type=testing', ['ranking', '--task-type', 'testing']],
      [`/api/v1/best-agent?task=${encodeURIComponent(task)}&now=${NOW}`, ['best-agent', '--task', task, '--now', NOW]],
      [`/api/v1/best-agent?task=${encodeURIComponent(task)}&all=1&min_confidence=0.1&now=${NOW}`, ['best-agent', '--task', task, '--all', '--min-confidence', '0.1', '--now', NOW]],
      ['/api/v1/handoffs?limit=3', ['handoffs', '--limit', '3']],
      ['/api/v1/gaps?limit=0&project=Project%207', ['gaps', '--limit', '0', '--project', 'Project 7']],
      ['/api/v1/estimates?since=2026-11-05T00:00:00Z', ['estimates', '--since', '2026-11-05T00:00:00Z']],
      ['/api/v1/bottlenecks?threshold=25', ['bottlenecks', '--threshold', '25']],
      ['/api/v1/history', ['history']],
      ['/api/v1/history?bucket=hour&project=Project%207&since=2026-11-05T00:00:00Z&until=2026-11-09T12:00:00Z', ['history', '--bucket', 'hour', '--project', 'Project 7', '--since', '2026-11-05T00:00:00Z', '--until', '2026-11-09T12:00:00Z']],
      [`/api/v1/workflows/${WORKFLOW}/timeline`, ['timeline', WORKFLOW]],
      ['/api/v1/workflows/no-such-workflow/timeline', ['timeline', 'no-such-workflow']],
    ];
    for (const [route, args] of cases) {
      const [answer, expected] = await Promise.all([get(base + route), cliJson(dir, args)]);
      expect(answer.status, route).toBe(200);
      expect(answer.type, route).toBe('application/json; charset=utf-8');
      expect(answer.body, route).toBe(expected);
    }
    // and the bodies follow the snapshot schema's definitions of the same documents
    const schema = JSON.parse(fs.readFileSync(new URL('../../config/snapshot.schema.json', import.meta.url), 'utf8')) as { $id: string };
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addSchema(schema);
    const documents: Array<[string, string]> = [
      ['/api/v1/snapshot', ''],
      ['/api/v1/stats', '#/properties/stats'],
      ['/api/v1/workflows', '#/properties/workflows'],
      ['/api/v1/overhead', '#/properties/overhead'],
      ['/api/v1/handoffs', '#/properties/handoffs'],
      ['/api/v1/gaps', '#/properties/gaps'],
      ['/api/v1/estimates', '#/properties/estimates'],
      ['/api/v1/bottlenecks', '#/properties/bottlenecks'],
    ];
    for (const [route, pointer] of documents) {
      const validate = ajv.getSchema(`${schema.$id}${pointer}`);
      expect(validate, pointer).toBeDefined();
      const body = JSON.parse((await get(base + route)).body) as unknown;
      expect(validate?.(body), `${route}: ${JSON.stringify(validate?.errors)}`).toBe(true);
    }
    // the snapshot document is the daemon's own
    const snapshot = JSON.parse((await get(`${base}/api/v1/snapshot`)).body) as { schema_version: number; stats: unknown };
    expect(snapshot.schema_version).toBe(1);
    expect(`${JSON.stringify(snapshot.stats)}`).toBe(JSON.stringify(JSON.parse(await cliJson(dir, ['stats']))));
    expect(await get(`${base}/healthz`)).toMatchObject({ status: 200 });
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, lag_bytes: 0, degraded: false, faults: [] });
    await daemon.stop();
  });

  it('bad requests are 400s naming the parameter; unknown routes are 404s; nothing is echoed', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    const bad: Array<[string, string]> = [
      ['/api/v1/trends/x?days=abc', 'days'],
      ['/api/v1/trends/x?days=0', 'days'],
      ['/api/v1/stats?nosuch=1', 'nosuch'],
      ['/api/v1/open?now=yesterday', 'now'],
      ['/api/v1/best-agent', 'task'],
      ['/api/v1/best-agent?task=x&min_confidence=2', 'min_confidence'],
      [`/api/v1/best-agent?task=${'long'.repeat(2000)}`, 'task'],
      ['/api/v1/gaps?since=%3Cscript%3E', 'since'],
      ['/api/v1/handoffs?limit=-1', 'limit'],
      ['/api/v1/history?bucket=week', 'bucket'],
      ['/api/v1/history?until=soon', 'until'],
    ];
    for (const [route, parameter] of bad) {
      const answer = await get(base + route);
      expect(answer.status, route).toBe(400);
      expect(JSON.parse(answer.body), route).toMatchObject({ error: 'bad_request', parameter });
      expect(answer.body).not.toContain('<script>');
    }
    const missing = await get(`${base}/api/v1/nothing-here/%3Cb%3E`);
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/json; charset=utf-8');
    expect(missing.body).not.toContain('<b>');
    // without a token, a Host that is not loopback (DNS rebinding) is refused
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = http.get(`${base}/api/v1/stats`, { headers: { host: 'attacker.example:7467' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
    });
    expect(rebound).toBe(403);
    // read-only: a body is refused
    const posted = await fetch(`${base}/api/v1/stats`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(posted.status).toBeGreaterThanOrEqual(400);
    expect(posted.status).toBeLessThan(500);
    await daemon.stop();
  });
});

describe('HTTP API: tokens', () => {
  it('beyond loopback the daemon refuses to start without a token, naming the fix', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '0.0.0.0:0', waitReady: false });
    const exit = await daemon.exited;
    expect(exit.code).toBe(2);
    expect(daemon.stderr).toMatch(/refusing to serve HTTP on 0\.0\.0\.0:0 without a token.*--http-token/);
  });

  it('with a token every route but /healthz needs it', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0', httpToken: 's3cret-token' });
    const base = await baseUrl(daemon);
    expect((await get(`${base}/api/v1/stats`)).status).toBe(401);
    expect((await get(`${base}/api/v1/stats`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${base}/api/v1/stats`, { authorization: 's3cret-token' })).status).toBe(401);
    expect((await get(`${base}/readyz`)).status).toBe(401);
    expect((await get(`${base}/api/v1/stats`, { authorization: 'Bearer s3cret-token' })).status).toBe(200);
    expect((await get(`${base}/healthz`)).status).toBe(200);
    await daemon.stop();
  });
});

/** Reads SSE frames from a GET until `enough` says stop. */
function readEvents(url: string, headers: Record<string, string>, enough: (events: Array<{ id: string; event: string; data: string }>) => boolean): Promise<Array<{ id: string; event: string; data: string }>> {
  return new Promise((resolve, reject) => {
    const events: Array<{ id: string; event: string; data: string }> = [];
    const request = http.get(url, { headers }, (response) => {
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          // As the EventSource spec reads a frame: data lines join with newlines.
          const fields = new Map<string, string[]>();
          for (const line of frame.split('\n')) {
            if (line.startsWith(':') || !line.includes(': ')) continue;
            const name = line.slice(0, line.indexOf(': '));
            fields.set(name, [...(fields.get(name) ?? []), line.slice(line.indexOf(': ') + 2)]);
          }
          const event = fields.get('event')?.[0];
          if (event !== undefined) events.push({ id: fields.get('id')?.[0] ?? '', event, data: (fields.get('data') ?? []).join('\n') });
          if (enough(events)) {
            request.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    request.on('error', (error) => (events.length > 0 && enough(events) ? resolve(events) : reject(error)));
    setTimeout(() => {
      request.destroy();
      reject(new Error(`timed out with ${events.length} events`));
    }, 10_000).unref();
  });
}

describe('HTTP API: /api/v1/events', () => {
  it('streams the current snapshot at once, then each new one; a reconnect gets the current one again', async () => {
    const dir = track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    const work = new Workload(dir, 'sse');
    const events = await readEvents(`${base}/api/v1/events`, {}, (seen) => {
      if (seen.length === 1) work.workflows(2);
      return seen.filter((e) => e.event === 'snapshot').length >= 2;
    });
    const [first, second] = events.map((e) => JSON.parse(e.data) as { health: { events_applied: number } });
    expect(events[0]?.event).toBe('snapshot');
    expect(second!.health.events_applied).toBeGreaterThan(first!.health.events_applied);
    expect(Number(events[1]?.id)).toBeGreaterThan(Number(events[0]?.id));
    const again = await readEvents(`${base}/api/v1/events`, { 'last-event-id': events[1]!.id }, (seen) => seen.length >= 1);
    expect(again[0]?.event).toBe('snapshot');
    await daemon.stop();
  });
});

interface ParsedFamily {
  readonly name: string;
  readonly type: string;
  readonly metrics: ReadonlyArray<{ readonly value?: string; readonly count?: string; readonly labels?: Record<string, string> }>;
}

describe('HTTP API: /metrics', () => {
  it('parses as Prometheus text, and every figure agrees with the snapshot of the same moment', async () => {
    // given a daemon on the fixture, plus a bad line and an open workflow
    const dir = track(fixtureDir());
    appendLine(`${dir}/success_metrics.jsonl`, '{not json');
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await baseUrl(daemon);
    // when /metrics and the snapshot are read with nothing written in between
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { default: parse } = await import('parse-prometheus-text-format');
    const families = new Map(parse(await response.text()).map((f) => [f.name, f]));
    const snapshot = JSON.parse((await get(`${base}/api/v1/snapshot`)).body) as {
      health: { events_applied: number; lines_rejected: number };
      sources: Record<string, { file: string; size: number; offset: number }>;
      overhead: { coordination_overhead_pct: number };
      workflows: { total_workflows: number; success_rate: number };
      open_workflows: { count: number };
      stats: { agents: Record<string, { invocation_count: number }> };
      agents: { items: Array<{ agent_name: string; rolling_success_rate: number | null }> };
      alerts: { active: Array<{ alert: string }> };
    };
    const values = (name: string) => families.get(name)?.metrics ?? [];
    const sum = (name: string) => values(name).reduce((total, m) => total + Number(m.value), 0);
    const one = (name: string, labels: Record<string, string>) =>
      Number(values(name).find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);

    // then
    expect(families.get('oak_events_applied_total')?.type).toBe('COUNTER');
    expect(sum('oak_events_applied_total')).toBe(snapshot.health.events_applied);
    expect(sum('oak_lines_rejected_total')).toBe(snapshot.health.lines_rejected);
    expect(one('oak_lines_rejected_total', { file: 'success_metrics.jsonl', reason: 'not_json' })).toBe(1);
    for (const source of Object.values(snapshot.sources)) expect(one('oak_source_lag_bytes', { file: source.file })).toBe(source.size - source.offset);
    expect(one('oak_coordination_overhead_ratio', { window: 'all' })).toBeCloseTo(snapshot.overhead.coordination_overhead_pct / 100, 10);
    expect(values('oak_coordination_overhead_ratio')).toHaveLength(2);
    expect(sum('oak_workflows_open')).toBe(snapshot.open_workflows.count);
    expect(sum('oak_workflows_completed_total')).toBe(snapshot.workflows.total_workflows);
    expect(one('oak_workflows_completed_total', { success: 'true' }) / snapshot.workflows.total_workflows).toBeCloseTo(snapshot.workflows.success_rate, 3);
    expect(Number(families.get('oak_workflow_duration_seconds')?.metrics[0]?.count)).toBe(snapshot.workflows.total_workflows);
    for (const [agent, stats] of Object.entries(snapshot.stats.agents)) {
      const perStatus = values('oak_agent_invocations_total').filter((m) => m.labels?.agent === agent);
      expect(perStatus.reduce((total, m) => total + Number(m.value), 0), agent).toBe(stats.invocation_count);
    }
    for (const agent of snapshot.agents.items) {
      if (agent.rolling_success_rate !== null) expect(one('oak_agent_rolling_success_ratio', { agent: agent.agent_name })).toBe(agent.rolling_success_rate);
    }
    for (const name of ['coordination_overhead', 'open_workflow_too_long', 'agent_success_low']) {
      expect(one('oak_alert_active', { alert: name }), name).toBe(snapshot.alerts.active.filter((a) => a.alert === name).length);
    }
    expect(sum('oak_snapshot_writes_total')).toBeGreaterThan(0);
    expect(families.has('process_cpu_seconds_total')).toBe(true);
    // and the shipped Grafana dashboard asks only for metrics that exist
    const dashboard = fs.readFileSync(new URL('../../config/grafana-dashboard.json', import.meta.url), 'utf8');
    const asked = new Set([...dashboard.matchAll(/\b((?:oak|process)_[a-z_]+)/g)].map((m) => (m[1] as string).replace(/_(bucket|count|sum)$/, '')));
    expect([...asked].filter((name) => !families.has(name))).toEqual([]);
    expect(asked.size).toBeGreaterThan(10);
    await daemon.stop();
  });
});
