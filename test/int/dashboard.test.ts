/**
 * The dashboard at / in a real headless Chromium (Debian's package, driven by playwright-core;
 * `npm test` installs it when missing): it renders every section from the live event stream,
 * updates without a reload, loads nothing from outside the daemon, shows an empty state that
 * says what to do, stays readable in a narrow window, and in stream mode lists the hosts.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/http/apiServer.js';
import { EventStream } from '../../src/http/eventStream.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { initialState } from '../../src/projections/folds/telemetryState.js';
import { runCli } from '../support/cliRunner.js';
import { daemonDirsPerTest, fixtureDir, ROOT, startDaemon } from '../support/daemonHarness.js';
import { NatsServer } from '../support/natsServer.js';
import { Workload, type WorkflowSpec } from '../support/telemetryWorkload.js';

/** All the time inside agents, and 95% outside them. */
const EFFICIENT: WorkflowSpec = { agents: 2, workflowSeconds: 100, agentSeconds: 50, failEvery: 0 };
const SLOW: WorkflowSpec = { agents: 2, workflowSeconds: 1000, agentSeconds: 50, failEvery: 0 };

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of each run (ignored by git). */
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
// The flags a closed network needs (no background connections, no sandbox as root).
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
const dirs = daemonDirsPerTest();

beforeAll(async () => {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} (npm test installs Debian's chromium when missing)`).toBe(true);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});

/** A 1280x800 page that records each request leaving `base` and every script or console error. */
async function watchedPage(base: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) foreign.push(request.url());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, foreign, errors };
}

describe('dashboard', () => {
  it('shows every section from the live stream, updates without reloading, and fetches only from the daemon', async () => {
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await daemon.httpUrl();
    const { page, foreign, errors } = await watchedPage(base);
    await page.goto(base);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'));

    const snapshot = (await (await fetch(`${base}api/v1/snapshot`)).json()) as {
      overhead: { coordination_overhead_pct: number };
      stats: { agents: Record<string, unknown> };
      health: { events_applied: number };
    };
    expect(await page.textContent('#overhead-all')).toBe(`${snapshot.overhead.coordination_overhead_pct.toFixed(2)}%`);
    expect(await page.textContent('#overhead-threshold')).toBe('30%');
    expect(await page.locator('#agents tbody tr').count()).toBe(Object.keys(snapshot.stats.agents).length);
    expect(await page.locator('#patterns tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#handoff-top li').count()).toBeGreaterThan(0);
    expect(await page.locator('#open tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('#estimates')).toMatch(/workflows: median [\d.]+x/);
    expect(await page.textContent('#bottlenecks')).toMatch(/Slowest hand-overs/);
    expect(await page.isHidden('#empty')).toBe(true);
    expect(await page.isHidden('#hosts-card'), 'the hosts card is for stream mode').toBe(true);
    expect(await page.isHidden('#faults-card'), 'no I/O fault, no faults card').toBe(true);

    // when more workflows arrive, the page follows without a reload
    const before = Number((await page.textContent('#status'))?.match(/(\d+) events/)?.[1]);
    new Workload(dir, 'live').workflows(3);
    await page.waitForFunction((n) => Number(document.getElementById('status')?.textContent?.match(/(\d+) events/)?.[1]) > n, before);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png') });

    // a narrow window: no sideways scrolling of the page itself (wide tables scroll in their card)
    await page.setViewportSize({ width: 400, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(400);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
    await daemon.stop();
  });

  it('draws history, hand-offs and a timeline with the figures of their API routes, filters by project, and reads at 400 px', async () => {
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await daemon.httpUrl();
    const api = async <T>(route: string): Promise<T> => (await (await fetch(`${base}${route.slice(1)}`)).json()) as T;
    const { page, foreign, errors } = await watchedPage(base);
    await page.goto(base);
    await page.waitForFunction(() => document.getElementById('timeline-summary') !== null && document.getElementById('handoff-top') !== null);

    // history: the range the data covers, one point per bucket of /api/v1/history
    type History = { runs: number; bucket: string; from: string; to: string; buckets: unknown[] };
    const history = await api<History>('/api/v1/history');
    expect(await page.textContent('#history-summary')).toContain(`${history.runs} runs per ${history.bucket} (UTC) from ${history.from.slice(0, 10)} to ${history.to.slice(0, 10)}`);
    expect(await page.getAttribute('#overhead-chart', 'data-points')).toBe(String(history.buckets.length));
    expect(await page.getAttribute('#runs-chart', 'data-points')).toBe(String(history.buckets.length));
    // hand-offs: the top pairs with their counts, the rest behind "N more"
    type Handoffs = { pairs: { count: number; items: Array<{ from_agent: string; to_agent: string; handoffs: number }> } };
    const handoffs = await api<Handoffs>('/api/v1/handoffs?limit=8');
    const shown = await page.locator('#handoff-top li').evaluateAll((lis) => lis.map((li) => [li.querySelector('.pair')?.textContent, li.querySelector('.n')?.textContent]));
    expect(shown).toEqual(handoffs.pairs.items.map((p) => [`${p.from_agent} → ${p.to_agent}`, String(p.handoffs)]));
    expect(await page.textContent('#handoffs details summary')).toBe(`${handoffs.pairs.count - 8} more pairs`);
    // the timeline of the workflow offered first: the slowest by time with no agent running
    type Gaps = { workflows: { items: Array<{ workflow_id: string }> } };
    const slowest = (await api<Gaps>('/api/v1/gaps?limit=1')).workflows.items[0]?.workflow_id as string;
    type Timeline = { invocations: number; bars: unknown[]; coordination_seconds: number };
    const timeline = await api<Timeline>(`/api/v1/workflows/${encodeURIComponent(slowest)}/timeline`);
    expect(await page.getAttribute('#timeline', 'data-workflow')).toBe(slowest);
    expect(await page.locator('#timeline .tl-track .tl-bar').count()).toBe(timeline.bars.length);
    expect(await page.textContent('#timeline-summary')).toContain(`${slowest} · `);
    expect(await page.textContent('#timeline-summary')).toContain(`${timeline.invocations} invocations`);
    // any workflow by id
    await page.fill('#timeline-id', 'wf-11-0000000');
    await page.press('#timeline-id', 'Enter');
    await page.waitForFunction(() => document.getElementById('timeline')?.dataset.workflow === 'wf-11-0000000');
    // open workflows: a few, the rest behind "N more"
    expect(await page.locator('#open > table tbody tr').count()).toBeLessThanOrEqual(5);
    // health in the header
    expect(await page.textContent('#health-rejected')).toBe('0 rejected lines');
    expect(await page.textContent('#health-faults')).toBe('0 faults');
    // a project: the charts follow /api/v1/history?project=
    await page.selectOption('#project', 'Project 7');
    const project = await api<History>('/api/v1/history?project=Project%207');
    await page.waitForFunction((runs) => document.getElementById('history-summary')?.textContent?.startsWith(`${runs} runs`), project.runs);
    expect(await page.getAttribute('#overhead-chart', 'data-points')).toBe(String(project.buckets.length));
    await page.selectOption('#project', '');
    await page.waitForFunction((runs) => document.getElementById('history-summary')?.textContent?.startsWith(`${runs} runs`), history.runs);
    // more telemetry: the charts follow without a reload, to what the API says then
    new Workload(dir, 'later').workflows(3);
    await expect
      .poll(async () => {
        const runs = (await api<History>('/api/v1/history')).runs;
        const shown = Number((await page.textContent('#history-summary'))?.match(/^(\d+) runs/)?.[1]);
        return runs > history.runs && shown === runs;
      }, { timeout: 15_000 })
      .toBe(true);

    const shoot = async (name: string) => {
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        scrollTo(0, 0);
      });
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, name) });
      // The README's pictures, when asked for (OAK_DASHBOARD_SCREENSHOT=1).
      if (process.env.OAK_DASHBOARD_SCREENSHOT === '1') await page.screenshot({ path: path.join(ROOT, 'docs', name), type: 'png' });
    };
    await page.fill('#timeline-id', '');
    await page.selectOption('#timeline-pick', slowest);
    await page.waitForFunction((id) => document.getElementById('timeline')?.dataset.workflow === id, slowest);
    await shoot('dashboard.png');
    // 400 px wide: nothing wider than the window, the tables without sideways scrolling
    await page.setViewportSize({ width: 400, height: 800 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 400);
    const overflowing = await page.locator('table').evaluateAll((tables) => tables.filter((t) => t.scrollWidth > (t.parentElement?.clientWidth ?? 0) + 1).length);
    expect(overflowing).toBe(0);
    await shoot('dashboard-narrow.png');

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
    await daemon.stop();
  });

  it('shows the overhead alert within 2 s of the telemetry that raises it, without a reload', async () => {
    // given a daemon watching efficient workflows, alert window 5
    const dir = dirs.make('oak-daemon-');
    const work = new Workload(dir, 'dash');
    work.workflows(2, EFFICIENT);
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0', config: { alerts: { overhead: { window: 5 } } } });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(await daemon.httpUrl());
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'));
    expect(await page.textContent('#alerts')).toContain('none firing');
    // when slow workflows arrive (90% of their time outside agents)
    work.workflows(3, SLOW);
    // then the page shows the alert within 2 s, in words, without a reload
    await page.waitForFunction(() => document.getElementById('alerts')?.textContent?.includes('coordination overhead'), undefined, { timeout: 2000 });
    expect(await page.textContent('#alerts')).toMatch(/% of workflow time outside agents over the last 5 workflows \(threshold 30%\)/);
    expect(await page.getAttribute('#overhead-window', 'class')).toContain('over');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-alert.png') });
    await page.close();
    await daemon.stop();
  });

  it('never throws on a figure: every number null, huge, negative, not a number, or missing', async () => {
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const base = await daemon.httpUrl();
    const real = (await (await fetch(`${base}api/v1/snapshot`)).json()) as Record<string, unknown>;
    // Every number in the snapshot replaced (counts too), and one alert of each kind carrying the same.
    const everyNumber = (value: unknown, to: (n: number) => unknown): unknown => {
      if (typeof value === 'number') return to(value);
      if (Array.isArray(value)) return value.map((v) => everyNumber(v, to));
      if (typeof value === 'object' && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
          const replaced = everyNumber(v, to);
          if (replaced !== undefined) out[k] = replaced;
        }
        return out;
      }
      return value;
    };
    const alerts = [
      { key: 'c', alert: 'coordination_overhead', since: real.generated_at, details: { overhead_pct: 50, window: 5, threshold_pct: 30 } },
      { key: 'o', alert: 'open_workflow_too_long', since: real.generated_at, details: { count: 1, max_age_hours: 24, oldest: [{ workflow_id: 'w', age_seconds: 90_000 }] } },
      { key: 'a', alert: 'agent_success_low', since: real.generated_at, details: { agent: 'x', rolling_success_rate: 0.1, floor: 0.5, runs: 10 } },
    ];
    const variants: Array<(n: number) => unknown> = [() => null, () => 1.7e308, (n) => n * 1e300, (n) => -n - 1, () => 'NaN', () => undefined];
    const frames = variants.map((to, i) => {
      const snapshot = everyNumber({ ...real, alerts: { active: alerts } }, to) as Record<string, unknown>;
      // The status line names the frame, so the test knows the last one rendered.
      snapshot.health = { ...(snapshot.health as object), events_applied: 4240 + i };
      return `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.route('**/api/v1/events', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: frames.join('') }));
    await page.goto(base);
    // A frame that throws ends the stream's loop with "disconnected"; the last frame rendering means none did.
    const last = `${4240 + variants.length - 1} events`;
    await page.waitForFunction((marker) => {
      const status = document.getElementById('status')?.textContent ?? '';
      return status.includes(marker) || status.startsWith('disconnected');
    }, last);
    expect(await page.textContent('#status')).toContain(last);
    expect(await page.locator('#agents tbody tr').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
    await daemon.stop();
  });

  it('shows the I/O faults of the snapshot in a card (text, never markup), and hides it once they clear', async () => {
    // given a real snapshot document from the daemon on the fixture
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const snapshot = (await (await fetch(`${await daemon.httpUrl()}api/v1/snapshot`)).json()) as { health: Record<string, unknown> };
    await daemon.stop();
    // and the page served by the API from a source whose snapshots the test writes
    const events = new EventStream();
    const ingest = new Ingest(initialState());
    const app = buildApi({
      source: { state: () => ingest.state, snapshot: () => snapshot, readiness: () => ({ ready: true, lag_bytes: 0 }), faults: () => [], version: () => 0, clock: Date.now },
      events,
      token: null,
      log: pino({ level: 'silent' }),
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const publish = (faults: unknown[], hookErrors: unknown = { count: 0, last: null }) =>
      events.snapshot(JSON.stringify({ ...snapshot, health: { ...snapshot.health, faults, hook_errors: hookErrors } }));
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // when the snapshot carries a fault whose message holds markup
      publish(
        [{ file: 'success_metrics.jsonl', op: 'read', code: 'EISDIR', message: '<img src=x onerror="window.pwned=1"> illegal operation on a directory', since: '2026-11-20T10:00:00.000Z', attempts: 7 }],
        { count: 3, last: { at: '2026-11-20T10:00:00.000Z', event: 'SubagentStop', error: '<b>cannot append</b> to agent_invocations.jsonl' } },
      );
      await page.goto(base);
      await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'));
      // then the card shows it, as text
      expect(await page.isVisible('#faults-card')).toBe(true);
      const rows = await page.locator('#faults tr').evaluateAll((trs) => trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent)));
      expect(rows).toEqual([['success_metrics.jsonl', 'read', 'EISDIR', expect.stringMatching(/2026|20/), '7', '<img src=x onerror="window.pwned=1"> illegal operation on a directory']]);
      expect(await page.locator('#faults img').count()).toBe(0);
      // and the hook errors are one line, as text
      expect(await page.isVisible('#hook-errors-card')).toBe(true);
      expect(await page.textContent('#hook-errors')).toMatch(/^3 errors in hook-errors\.jsonl \(state dir\); last at .+ \(SubagentStop\): <b>cannot append<\/b> to agent_invocations\.jsonl$/);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-faults.png') });
      // when the next snapshot has none, the card goes
      publish([]);
      await page.waitForFunction(() => document.getElementById('faults-card')?.hidden === true);
      expect(await page.isHidden('#hook-errors-card'), 'no hook error, no card').toBe(true);
      expect(await page.locator('#faults tr').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      events.close();
      await app.close();
    }
  });

  it('an empty directory says what to do', async () => {
    const dir = dirs.make('oak-daemon-');
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0' });
    const page = await browser.newPage();
    await page.goto(await daemon.httpUrl());
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'));
    expect(await page.isVisible('#empty')).toBe(true);
    expect(await page.textContent('#empty')).toContain("point --dir at your agents' telemetry directory");
    await page.close();
    await daemon.stop();
  });

  it('with a token, the page passes it from #token= and shows the data', async () => {
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir, http: '127.0.0.1:0', httpToken: 'dash-token' });
    const page = await browser.newPage();
    await page.goto(`${await daemon.httpUrl()}#token=dash-token`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('live'));
    expect(await page.locator('#agents tbody tr').count()).toBeGreaterThan(0);
    await page.close();
    await daemon.stop();
  });

  it('in stream mode (daemon --nats) shows every shipping host with its messages and lag', async () => {
    const nats = await NatsServer.start();
    const hosts = ['north', 'south'];
    const hostDirs = hosts.map((host) => {
      const d = dirs.make(`oak-dash-${host}-`);
      new Workload(d, host).workflows(4);
      return d;
    });
    try {
      for (const [i, host] of hosts.entries()) {
        const shipped = runCli(['ship', '--once', '--dir', hostDirs[i] as string, '--nats', nats.url, '--host', host]);
        expect(shipped.code, shipped.stderr).toBe(0);
      }
      const aggDir = dirs.make('oak-dash-agg-');
      const daemon = await startDaemon({ dir: aggDir, stateDir: path.join(aggDir, 'state'), nats: nats.url, http: '127.0.0.1:0' });
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(await daemon.httpUrl());
      await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('from 2 hosts'));
      expect(await page.isVisible('#hosts-card')).toBe(true);
      const rows = await page.locator('#hosts tbody tr').evaluateAll((trs) => trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent)));
      // 4 workflows of 3 agents: 13 lines each, nothing waiting
      expect(rows).toEqual([
        ['north', '52', expect.stringMatching(/\d/), '0'],
        ['south', '52', expect.stringMatching(/\d/), '0'],
      ]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stream-mode.png'), fullPage: true });
      await page.close();
      await daemon.stop();
    } finally {
      await nats.stop();
    }
  });
});
