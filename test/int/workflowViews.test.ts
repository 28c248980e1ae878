/**
 * The workflow views on real files: the generated-150 cross-check of coordination time against
 * `overhead`, and the hand-computed answers of fixtures/workflow-views (see its README.md)
 * through the library and through the CLI as a process, with filters and limits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTimestampUs } from '../../src/domain/time.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { type CliRun, ROOT as root, runCli as runTheCli, runCliJson } from '../support/cliRunner.js';

const GENERATED = path.join(root, 'fixtures/parity/generated-150');
const VIEWS = path.join(root, 'fixtures/workflow-views');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const expected: Json = JSON.parse(fs.readFileSync(path.join(VIEWS, 'expected.json'), 'utf8'));
const COMMANDS = ['handoffs', 'gaps', 'estimates', 'bottlenecks'] as const;

/** The fixture, replayed, at the fixture's `now`. */
const onViews = (args: string[]): string[] => [...args, '--dir', VIEWS, '--source', 'replay', '--now', expected.now];
const runCli = (args: string[]): CliRun => runTheCli(onViews(args));
const cliJson = (args: string[]): Json => runCliJson<Json>(onViews(args));

/** The library's answer to a command, as the CLI would ask it. */
function ask(command: (typeof COMMANDS)[number], args: q.WorkflowViewArgs = {}): Json {
  const state = replayDirectory(VIEWS).state;
  // through JSON, as printed: the expectations are JSON (no undefined, no NaN)
  return JSON.parse(JSON.stringify(q[command](state, args)));
}

/** `value` with every `items` list cut to `limit` entries, the counts beside them untouched. */
function limited(value: Json, limit: number): Json {
  if (Array.isArray(value)) return value.map((v) => limited(v, limit));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'items' && Array.isArray(v) ? v.slice(0, limit).map((x) => limited(x, limit)) : limited(v, limit)]),
  );
}

describe('generated-150: coordination time agrees with overhead', () => {
  it('within 0.1 percentage points, where every invocation names its workflow and none overlap', () => {
    // given the preconditions the agreement rests on
    const lines = fs.readFileSync(path.join(GENERATED, 'agent_invocations.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(400);
    for (const line of lines) expect(JSON.parse(line).workflow_id, line.slice(0, 120)).toEqual(expect.any(String));
    const state = replayDirectory(GENERATED).state;
    const gaps = q.gaps(state);
    expect(gaps.coordination.overlap_seconds).toBe(0);
    // when both are asked; then coordination share and overhead agree (21.16 against 21.15: the
    // completes' duration_seconds are whole seconds, their timestamps are not)
    const overhead = q.overhead(state);
    expect(gaps.coordination.workflows).toBeGreaterThan(100);
    expect(gaps.coordination.workflows).toBe(overhead.workflows_counted);
    expect(Math.abs(gaps.coordination.coordination_pct - overhead.coordination_overhead_pct)).toBeLessThanOrEqual(0.1);
    // and it is not the same figure by construction: the parts add up to it
    const c = gaps.coordination;
    expect(c.gap_seconds + c.idle_before_seconds + c.idle_after_seconds).toBeCloseTo(c.coordination_seconds, 2);
  });
});

describe('fixtures/workflow-views: the hand-computed answers', () => {
  for (const command of COMMANDS) {
    it(`${command}: the library`, () => {
      expect(ask(command)).toEqual(expected[command]);
    });
  }

  for (const command of COMMANDS) {
    it(`${command}: the CLI as a process (--json ${expected.args.join(' ')})`, () => {
      expect(cliJson([command, ...expected.args])).toEqual(expected[command]);
    });
  }

  it('--limit 2 cuts every list, not the counts', () => {
    const cut = cliJson(['bottlenecks', '--limit', '2']);
    expect(cut).toEqual(limited(expected.bottlenecks, 2));
    expect(cut.slow_agents.count).toBe(5);
    expect(cut.slow_agents.items).toHaveLength(2);
    for (const command of COMMANDS) expect(ask(command, { limit: 2 })).toEqual(limited(expected[command], 2));
  });
});

describe('fixtures/workflow-views: filters', () => {
  it('--project shop: wf-1 and wf-2 only', () => {
    const filter = { project: 'shop' };
    expect(ask('handoffs', { filter }).handoffs).toBe(5); // 3 + 2
    // (600 + 600) / (3000 + 4200) = 16.67 %
    expect(ask('gaps', { filter }).coordination).toMatchObject({ workflows: 2, coordination_seconds: 1200, span_seconds: 7200, coordination_pct: 16.67 });
    // overall under the filter is what the shop row says without it
    const { project: _project, ...shop } = expected.estimates.projects[0];
    expect(ask('estimates', { filter }).overall).toEqual(shop);
    expect(ask('bottlenecks', { filter })).toMatchObject({ failure_enders: { unsuccessful_workflows: 0, items: [] }, over_threshold: { count: 0 } });
  });

  it('--project blog: slow agents from blog workflows only', () => {
    // backend [600, 900]: p50 750, p90 600 + 300 x 0.9 = 870; architect, qa 300 (qa's running one has no duration); docs 240
    expect(ask('bottlenecks', { filter: { project: 'blog' } }).slow_agents.items).toEqual([
      { agent_name: 'backend', invocations: 2, p50_seconds: 750, p90_seconds: 870 },
      { agent_name: 'architect', invocations: 1, p50_seconds: 300, p90_seconds: 300 },
      { agent_name: 'qa', invocations: 1, p50_seconds: 300, p90_seconds: 300 },
      { agent_name: 'docs', invocations: 1, p50_seconds: 240, p90_seconds: 240 },
    ]);
  });

  it('--since is inclusive: at wf-2\'s start, wf-2 to wf-5', () => {
    const filter = { sinceUs: parseTimestampUs('2026-11-20T12:00:00Z') };
    expect(ask('handoffs', { filter }).workflows.items.map((w: Json) => w.workflow_id)).toEqual(['wf-5', 'wf-4', 'wf-3', 'wf-2']);
    // wf-2, wf-3, wf-5: (600 + 900 + 300) / (4200 + 1500 + 1800) = 1800 / 7500 = 24 %
    expect(ask('gaps', { filter }).coordination).toMatchObject({ workflows: 3, coordination_seconds: 1800, span_seconds: 7500, coordination_pct: 24 });
    // ratios 1.25 and 7/3: median 1.792; p90 1.25 + 1.0833 x 0.9 = 2.225
    expect(ask('estimates', { filter }).overall).toEqual({ workflows: 2, median_ratio: 1.792, p90_ratio: 2.225, over_estimate_share: 1, overruns: 1 });
  });

  it('through the CLI: --project and --since together, and a bad --since', () => {
    const gaps = cliJson(['gaps', '--project', 'shop', '--since', '2026-11-20T12:00:00Z']);
    // wf-2 alone: 600 / 4200 = 14.29 %
    expect(gaps.coordination).toMatchObject({ workflows: 1, coordination_pct: 14.29, overlap_seconds: 600 });
    expect(gaps.workflows.items.map((w: Json) => w.workflow_id)).toEqual(['wf-2']);
    const bad = runCli(['gaps', '--since', 'last week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since/);
  });

  it('tables for people carry the same figures', () => {
    const r = runCli(['gaps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^7 transitions in 5 workflows\nCoordination time: 22\.86% of start-to-complete time over 4 completed workflows/);
  });
});
