import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedTelemetry } from '../../src/cli/generateCommand.js';
import { decodeText } from '../../src/decode/decodeLine.js';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { formatTimestampUs, parseTimestampUs, US_PER_DAY } from '../../src/domain/time.js';
import {
  DEFAULT_NOW,
  formatGeneratedTimestamp,
  generateTelemetry,
  type GenerateOptions,
} from '../../src/generate/generateTelemetry.js';
import { Random } from '../../src/generate/random.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import { toPythonJson } from '../../src/logger/pythonJson.js';
import * as queries from '../../src/queries/telemetryQueries.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE = path.join(root, 'fixtures/parity/generated-150');

function sha256Of(options: GenerateOptions): string {
  const hash = createHash('sha256');
  for (const { kind, line } of generateTelemetry(options)) hash.update(kind).update('\0').update(line).update('\n');
  return hash.digest('hex');
}

function fileHashes(dir: string): string[] {
  return SOURCE_KINDS.map((kind) => createHash('sha256').update(fs.readFileSync(path.join(dir, SOURCE_FILES[kind]))).digest('hex'));
}

function readLines(dir: string, kind: SourceKind): string[] {
  const text = fs.readFileSync(path.join(dir, SOURCE_FILES[kind]), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

function fixtureKeys(kind: SourceKind): Set<string> {
  return new Set(readLines(FIXTURE, kind).map((l) => Object.keys(JSON.parse(l)).join(',')));
}

const N = 2000;
const NOW = '2026-11-01T00:00:00Z';
let work: string;
let dir: string;
const text = {} as Record<SourceKind, string[]>;
const records = {} as Record<SourceKind, Json[]>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-generate-'));
  dir = path.join(work, 'telemetry');
  const summary = await writeGeneratedTelemetry(dir, { workflows: N, seed: 5 });
  for (const kind of SOURCE_KINDS) {
    text[kind] = readLines(dir, kind);
    records[kind] = text[kind].map((l) => JSON.parse(l));
    expect(summary.lines[kind]).toBe(text[kind].length);
    expect(summary.bytes[kind]).toBe(fs.statSync(path.join(dir, SOURCE_FILES[kind])).size);
  }
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('random', () => {
  it('is a deterministic stream per seed and stream', () => {
    const take = (r: Random) => Array.from({ length: 8 }, () => r.uint32());
    expect(take(new Random(42))).toEqual(take(new Random(42)));
    expect(take(new Random(42))).not.toEqual(take(new Random(43)));
    expect(take(new Random(42, 1))).not.toEqual(take(new Random(42, 2)));
    expect(take(new Random(0)).some((x) => x !== 0)).toBe(true);
  });

  it('stays in range and looks uniform', () => {
    const r = new Random(7);
    const buckets = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      const y = r.next53();
      if (!(x >= 0 && x < 1 && y >= 0 && y < 1)) outOfRange++;
      buckets[Math.floor(x * 10)]!++;
    }
    expect(outOfRange).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(new Random(1).uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('generateTelemetry: determinism', () => {
  it('gives the same lines for the same options and different ones for another seed, days or now', () => {
    const base = { workflows: 300, seed: 11 };
    const a = sha256Of(base);
    expect(sha256Of(base)).toBe(a);
    expect(sha256Of({ ...base, seed: 12 })).not.toBe(a);
    expect(sha256Of({ ...base, days: 10 })).not.toBe(a);
    expect(sha256Of({ ...base, nowUs: parseTimestampUs('2026-12-01T00:00:00Z') })).not.toBe(a);
    // The defaults are fixed, not the clock.
    expect(sha256Of({ workflows: 50 })).toBe(sha256Of({ workflows: 50, seed: 1, days: 30, nowUs: parseTimestampUs(DEFAULT_NOW) }));
  });

  it('writes the same bytes twice (sha256 of the files)', async () => {
    const again = path.join(work, 'again');
    await writeGeneratedTelemetry(again, { workflows: N, seed: 5 });
    expect(fileHashes(again)).toEqual(fileHashes(dir));
    const other = path.join(work, 'other');
    await writeGeneratedTelemetry(other, { workflows: N, seed: 6 });
    expect(fileHashes(other)).not.toEqual(fileHashes(dir));
  });

  it('yields nothing for zero workflows and rejects bad options', () => {
    expect([...generateTelemetry({ workflows: 0 })]).toEqual([]);
    expect(() => [...generateTelemetry({ workflows: -1 })]).toThrow(RangeError);
    expect(() => [...generateTelemetry({ workflows: 1.5 })]).toThrow(RangeError);
    expect(() => [...generateTelemetry({ workflows: 1, days: 0 })]).toThrow(RangeError);
    expect(() => [...generateTelemetry({ workflows: 1, seed: -1 })]).toThrow(RangeError);
    expect(() => [...generateTelemetry({ workflows: 1, nowUs: NaN })]).toThrow(RangeError);
  });

  it('formats timestamps exactly as formatTimestampUs does', () => {
    const from = parseTimestampUs('1999-12-31T00:00:00Z');
    const to = parseTimestampUs('2100-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), (us) => {
        expect(formatGeneratedTimestamp(us)).toBe(formatTimestampUs(us));
      }),
    );
  });
});

describe('generateTelemetry: shape', () => {
  it('writes lines every decoder accepts, with no rejection', () => {
    for (const kind of SOURCE_KINDS) {
      expect(text[kind].length).toBeGreaterThan(0);
      const rejected = text[kind].map((l) => decodeText(kind, l)).filter((o) => o.type !== 'event');
      expect(rejected).toEqual([]);
    }
    const replay = replayDirectory(dir);
    for (const kind of SOURCE_KINDS) {
      expect(replay.totals.perSource[kind]).toMatchObject({ applied: text[kind].length, rejected: 0 });
    }
  });

  it('uses the keys, key order and byte style of the reference generator', () => {
    for (const kind of SOURCE_KINDS) {
      const expected = fixtureKeys(kind);
      expect(records[kind].map((r) => Object.keys(r).join(',')).filter((keys) => !expected.has(keys))).toEqual([]);
      // Python writes durations as floats ("2190.0"); JSON.parse reads them back as integers.
      const restyled = (line: string) => line.replace(/"duration_seconds": (\d+)\.0,/, '"duration_seconds": $1,');
      expect(text[kind].filter((line) => toPythonJson(JSON.parse(line)) !== restyled(line))).toEqual([]);
      expect(records[kind].filter((r) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(r.timestamp))).toEqual([]);
    }
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const r of records.invocations) {
      expect(r.invocation_id).toMatch(uuid);
      expect(r.session_id).toMatch(uuid);
      expect(r.workflow_id).toMatch(/^wf-5-\d{7}$/);
      expect(r.task_description.split(' ').length).toBeGreaterThanOrEqual(4);
      expect(r.task_description.split(' ').length).toBeLessThanOrEqual(6);
      expect(r.task_description).toMatch(/^[a-z0-9]+( [a-z0-9]+)+$/);
      expect(Array.isArray(r.tools_used) && r.tools_used.length > 0).toBe(true);
      if (r.state_features.task !== undefined) {
        expect(Object.keys(r.state_features)).toEqual(['task', 'codebase']);
        expect(['small', 'medium', 'large']).toContain(r.state_features.task.scope);
        expect(r.state_features.codebase.languages.length).toBeGreaterThan(0);
      }
      const d = r.duration_seconds;
      expect(d === null || (typeof d === 'number' && d >= 0)).toBe(true);
    }
    for (const e of records.workflow_events.filter((e) => e.event === 'workflow_start')) {
      expect(e.project_name).toMatch(/^Project \d+$/);
      expect([null, 1800, 3600, 7200, 10800]).toContain(e.estimated_duration);
    }
    for (const e of records.workflow_events.filter((e) => e.event === 'workflow_complete')) {
      expect(Number.isInteger(e.duration_seconds)).toBe(true);
    }
  });

  it('sorts each file by timestamp, keeps everything in the window, and overlaps workflows', () => {
    const nowUs = parseTimestampUs(NOW);
    for (const kind of SOURCE_KINDS) {
      const times = records[kind].map((r) => parseTimestampUs(r.timestamp));
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
      expect(times[times.length - 1]!).toBeLessThanOrEqual(nowUs);
      expect(times[0]!).toBeGreaterThanOrEqual(nowUs - 30 * US_PER_DAY);
    }
    // Some workflow starts while another is still running.
    const span = new Map<string, [number, number]>();
    for (const e of records.workflow_events) {
      const t = parseTimestampUs(e.timestamp);
      const s = span.get(e.workflow_id);
      span.set(e.workflow_id, s ? [s[0], t] : [t, t]);
    }
    const intervals = [...span.values()].sort((a, b) => a[0] - b[0]);
    let overlapping = 0;
    for (let i = 1; i < intervals.length; i++) if (intervals[i]![0] < intervals[i - 1]![1]) overlapping++;
    expect(overlapping).toBeGreaterThan(N / 10);
    // Lines of different workflows interleave in the files.
    const ids = records.invocations.map((r) => r.workflow_id);
    expect(ids.some((id, i) => i > 1 && id !== ids[i - 1] && ids.slice(0, i - 1).includes(id))).toBe(true);
  });

  it('has each invocation once, in the final state the reference leaves on disk', () => {
    const ids = records.invocations.map((r) => r.invocation_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of records.invocations) {
      if (r.outcome.status === 'unknown') {
        expect(r.duration_seconds).toBeNull();
      } else {
        expect(typeof r.duration_seconds).toBe('number');
      }
    }
    const known = new Set(ids);
    for (const m of records.metrics) expect(known.has(m.invocation_id)).toBe(true);
  });

  it('links workflows, invocations, hand-offs and completes consistently', () => {
    const byWorkflow = new Map<string, Json[]>();
    for (const r of records.invocations) {
      const list = byWorkflow.get(r.workflow_id) ?? [];
      list.push(r);
      byWorkflow.set(r.workflow_id, list);
    }
    const events = new Map<string, Json[]>();
    for (const e of records.workflow_events) {
      const list = events.get(e.workflow_id) ?? [];
      list.push(e);
      events.set(e.workflow_id, list);
    }
    expect(events.size).toBe(N);
    for (const [id, evs] of events) {
      const invs = byWorkflow.get(id) ?? [];
      const start = evs.find((e) => e.event === 'workflow_start');
      const complete = evs.find((e) => e.event === 'workflow_complete');
      const handoffs = evs.filter((e) => e.event === 'agent_handoff');
      expect(evs[0]).toBe(start);
      for (const r of invs) expect(r.session_id).toBe(start.session_id);
      const names = invs.map((r) => r.agent_name);
      expect(names).toEqual(start.agent_plan.slice(0, names.length));
      // A hand-off precedes every agent but the first.
      for (let k = 0; k < handoffs.length; k++) {
        expect([handoffs[k].from_agent, handoffs[k].to_agent]).toEqual([start.agent_plan[k], start.agent_plan[k + 1]]);
        expect(handoffs[k].artifacts.length).toBeGreaterThan(0);
      }
      if (complete) {
        expect(evs[evs.length - 1]).toBe(complete);
        expect(complete.agents_executed).toEqual(names);
        expect(names.length).toBeGreaterThanOrEqual(2);
        expect(names.length).toBeLessThanOrEqual(5);
        expect(new Set(names).size).toBe(names.length);
        expect(handoffs.length).toBe(names.length - 1);
        expect(complete.success).toBe(invs.every((r) => r.outcome.status === 'success'));
        expect(invs.every((r) => r.outcome.status !== 'unknown')).toBe(true);
        const elapsed = (parseTimestampUs(complete.timestamp) - parseTimestampUs(start.timestamp)) / 1e6;
        expect(complete.duration_seconds).toBe(Math.floor(elapsed));
        const agentSeconds = invs.reduce((sum, r) => sum + r.duration_seconds, 0);
        expect(agentSeconds).toBeLessThan(complete.duration_seconds);
      } else {
        // Still open: the last agent logged is running (or the workflow was cut at --now).
        expect(invs.length).toBeGreaterThanOrEqual(1);
        expect(invs.slice(0, -1).every((r) => r.outcome.status !== 'unknown')).toBe(true);
      }
    }
  });

  it('matches metrics to outcomes: success iff the invocation succeeded, quality correlated', () => {
    const status = new Map(records.invocations.map((r) => [r.invocation_id, r.outcome.status as string]));
    const quality = { success: [] as number[], other: [] as number[] };
    for (const m of records.metrics) {
      const s = status.get(m.invocation_id)!;
      expect(s).not.toBe('unknown');
      expect(m.success).toBe(s === 'success');
      expect(Number.isInteger(m.quality_rating) && m.quality_rating >= 1 && m.quality_rating <= 5).toBe(true);
      (s === 'success' ? quality.success : quality.other).push(m.quality_rating);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(quality.success) - mean(quality.other)).toBeGreaterThan(1);
  });
});

describe('generateTelemetry: proportions (N = 2000)', () => {
  const share = (xs: Json[], pred: (x: Json) => boolean) => xs.filter(pred).length / xs.length;

  it('leaves ~3% of workflows open with their last agent running', () => {
    const starts = records.workflow_events.filter((e) => e.event === 'workflow_start').length;
    const completes = records.workflow_events.filter((e) => e.event === 'workflow_complete').length;
    const open = 1 - completes / starts;
    expect(open).toBeGreaterThan(0.015);
    expect(open).toBeLessThan(0.05);
    const running = share(records.invocations, (r) => r.outcome.status === 'unknown' && r.duration_seconds === null);
    expect(running).toBeGreaterThan(0);
  });

  it('rates ~70% of invocations', () => {
    const rated = new Set(records.metrics.map((m) => m.invocation_id)).size / records.invocations.length;
    expect(rated).toBeGreaterThan(0.65);
    expect(rated).toBeLessThan(0.75);
  });

  it('has ~1% zero durations and ~5% records without a task type', () => {
    const zero = share(records.invocations, (r) => r.duration_seconds === 0);
    expect(zero).toBeGreaterThan(0.003);
    expect(zero).toBeLessThan(0.02);
    const untyped = share(records.invocations, (r) => r.state_features?.task?.type === undefined);
    expect(untyped).toBeGreaterThan(0.03);
    expect(untyped).toBeLessThan(0.07);
  });

  it('has failures with varied messages and agents of different skill', () => {
    const failures = records.invocations.filter((r) => r.outcome.status === 'failure');
    expect(failures.length / records.invocations.length).toBeGreaterThan(0.05);
    expect(new Set(failures.map((r) => r.outcome.error_message)).size).toBeGreaterThan(15);
    expect(records.invocations.some((r) => r.outcome.status === 'partial')).toBe(true);
    const stats = queries.stats(replayDirectory(dir).state);
    const agents = Object.values(stats.agents) as Json[];
    expect(agents.length).toBe(12);
    const rates = agents.map((a) => a.success_rate);
    expect(Math.max(...rates) - Math.min(...rates)).toBeGreaterThan(0.15);
    const durations = agents.map((a) => a.average_duration_seconds);
    expect(Math.max(...durations) / Math.min(...durations)).toBeGreaterThan(2);
  });

  it('has a realistic coordination overhead', () => {
    const view = queries.overhead(replayDirectory(dir).state);
    expect(view.coordination_overhead_pct).toBeGreaterThan(10);
    expect(view.coordination_overhead_pct).toBeLessThan(50);
  });
});
