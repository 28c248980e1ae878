/**
 * Bad lines never change any figure: every parity case, copied to a temp dir with bad lines of
 * every kind spliced in at random positions, replays to exactly the state and answers of the
 * clean copy, and each bad line is reported once with its file, line number and byte offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Rejection } from '../../src/decode/rejection.js';
import { parseTimestampUs } from '../../src/domain/time.js';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { ROOT } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const fixtures = path.join(ROOT, 'fixtures/parity');
const CASES = fs
  .readdirSync(fixtures)
  .filter((name) => fs.existsSync(path.join(fixtures, name, 'expected.json')))
  .sort();

interface Expected {
  now: string;
  stats: { total_invocations: number };
  workflows: { total_workflows: number };
  trends: Record<string, Record<string, unknown>>;
  ranking: Record<string, unknown>;
  best_agent: { task: string; domain: string | null; min_confidence: number }[];
}

/** What a spliced line should become: a rejection whose reason matches, a blank or a skipped line. */
type Verdict = { type: 'rejected'; reason: RegExp } | { type: 'blank' } | { type: 'skipped' };

interface BadLine {
  readonly name: string;
  readonly bytes: Buffer;
  readonly verdict: Verdict;
}

const MIB = 1024 * 1024;
const reject = (reason: RegExp): Verdict => ({ type: 'rejected', reason });
const text = (s: string) => Buffer.from(s, 'utf8');
const json = (v: unknown) => text(JSON.stringify(v));

/** Deterministic PRNG (mulberry32), so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fileLines(file: string): Buffer[] {
  if (!fs.existsSync(file)) return [];
  const bytes = fs.readFileSync(file);
  expect(bytes.at(-1), `${file} ends with a newline`).toBe(0x0a);
  const lines: Buffer[] = [];
  let from = 0;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, from)) {
    lines.push(bytes.subarray(from, nl));
    from = nl + 1;
  }
  return lines;
}

function firstRecord(lines: Buffer[], fallback: Record<string, unknown>, where?: (r: Record<string, unknown>) => boolean) {
  for (const line of lines) {
    const record = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
    if (where === undefined || where(record)) return record;
  }
  return fallback;
}

const FALLBACK_INVOCATION = {
  timestamp: '2026-11-01T09:00:00Z', session_id: 'sess-x', invocation_id: 'inv-x', agent_name: 'coder', agent_type: 'development',
  task_description: 'build api endpoint', state_features: { task: { type: 'api_development' } }, workflow_id: null,
  duration_seconds: 60, outcome: { status: 'success', error_message: null },
};
const FALLBACK_METRIC = { timestamp: '2026-11-01T09:01:00Z', invocation_id: 'inv-x', success: true, quality_rating: 5, feedback_source: 'human' };
const FALLBACK_START = {
  timestamp: '2026-11-01T09:00:00Z', event: 'workflow_start', workflow_id: 'wf-x', session_id: 'sess-x', project_name: 'P',
  agent_plan: ['coder'], estimated_duration: 60,
};
const FALLBACK_COMPLETE = {
  timestamp: '2026-11-01T09:10:00Z', event: 'workflow_complete', workflow_id: 'wf-x', session_id: 'sess-x', duration_seconds: 600,
  success: true, agents_executed: ['coder'],
};

/** A valid record, serialized with an invalid byte inside a string value (a lossy decode would accept it). */
function withInvalidByte(record: Record<string, unknown>, key: string): Buffer {
  const marker = '\u0001MARK\u0001';
  const line = JSON.stringify({ ...record, [key]: `${String(record[key])}${marker}` });
  const [head, tail] = line.split(JSON.stringify(marker).slice(1, -1));
  return Buffer.concat([text(head!), Buffer.from([0xff, 0xfe]), text(tail!)]);
}

/** A valid record padded to more than 2 MiB: accepted, it would change the figures. */
function huge(record: Record<string, unknown>, key: string): Buffer {
  return json({ ...record, [key]: `${String(record[key])} ${'x'.repeat(2 * MIB)}` });
}

/** Kinds of bad lines every file gets; `record` is a near miss built from a real line of that file. */
function commonBadLines(record: Record<string, unknown>, stringKey: string): BadLine[] {
  const good = JSON.stringify(record);
  return [
    { name: 'truncated JSON', bytes: text(good.slice(0, Math.floor(good.length / 2))), verdict: reject(/^not JSON: /) },
    { name: 'garbage', bytes: text('this is not json'), verdict: reject(/^not JSON: /) },
    { name: 'array', bytes: text(`[${good}]`), verdict: reject(/^not a JSON object$/) },
    { name: 'number', bytes: text('42'), verdict: reject(/^not a JSON object$/) },
    { name: 'string', bytes: json(good), verdict: reject(/^not a JSON object$/) },
    { name: 'null', bytes: text('null'), verdict: reject(/^not a JSON object$/) },
    { name: 'invalid UTF-8', bytes: withInvalidByte(record, stringKey), verdict: reject(/^invalid UTF-8$/) },
    { name: 'bare 0xff', bytes: Buffer.from([0x7b, 0xff, 0x7d]), verdict: reject(/^invalid UTF-8$/) },
    { name: '2 MiB line', bytes: huge(record, stringKey), verdict: reject(/^line longer than 1048576 bytes$/) },
    { name: 'empty line', bytes: text(''), verdict: { type: 'blank' } },
    { name: 'whitespace line', bytes: text(' \t  '), verdict: { type: 'blank' } },
    { name: 'lone CR', bytes: text('\r'), verdict: { type: 'blank' } },
  ];
}

function invocationBadLines(lines: Buffer[]): BadLine[] {
  const existing = firstRecord(lines, FALLBACK_INVOCATION);
  const fresh = { ...existing, invocation_id: 'bad-new-invocation', agent_name: 'bad-agent' };
  const { invocation_id: _id, ...noId } = fresh;
  const { agent_name: _name, ...noName } = fresh;
  return [
    ...commonBadLines(fresh, 'task_description'),
    { name: 'no invocation_id', bytes: json(noId), verdict: reject(/^missing invocation_id$/) },
    { name: 'empty invocation_id', bytes: json({ ...fresh, invocation_id: '' }), verdict: reject(/^missing invocation_id \(empty string\)$/) },
    { name: 'no agent_name', bytes: json(noName), verdict: reject(/^missing agent_name$/) },
    { name: 'duration as string', bytes: json({ ...fresh, duration_seconds: '120' }), verdict: reject(/^duration_seconds must be a number/) },
    // Same id as a real record: accepted, it would replace that record.
    { name: 'update with duration as string', bytes: json({ ...existing, duration_seconds: '9999' }), verdict: reject(/^duration_seconds must be a number/) },
    { name: 'agent_name a number', bytes: json({ ...existing, agent_name: 7 }), verdict: reject(/^agent_name must be a string/) },
    { name: 'bad status', bytes: json({ ...existing, outcome: { status: 'done' } }), verdict: reject(/^outcome\.status must be/) },
    { name: 'outcome a string', bytes: json({ ...existing, outcome: 'failure' }), verdict: reject(/^outcome must be an object/) },
    // Beyond the limits of src/decode/limits.ts: each would add a key or break a figure.
    { name: '1 MB agent_name', bytes: json({ ...fresh, agent_name: 'x'.repeat(1_000_000) }), verdict: reject(/^agent_name is 1000000 characters long; the limit is 256$/) },
    { name: '257-character invocation_id', bytes: json({ ...fresh, invocation_id: 'i'.repeat(257) }), verdict: reject(/^invocation_id is 257 characters long; the limit is 256$/) },
    { name: 'update with a negative duration', bytes: json({ ...existing, duration_seconds: -5 }), verdict: reject(/^duration_seconds must be from 0 to 10000000 seconds, got -5$/) },
    { name: 'update with 1.7e308 s', bytes: json({ ...existing, duration_seconds: 1.7e308 }), verdict: reject(/^duration_seconds must be from 0 to 10000000 seconds, got 1\.7e\+308$/) },
    { name: 'update in the year 2999', bytes: json({ ...existing, timestamp: '2999-01-01T00:00:00Z' }), verdict: reject(/^timestamp 2999-01-01T00:00:00Z is outside /) },
  ];
}

function metricBadLines(lines: Buffer[]): BadLine[] {
  // Near misses name a real invocation: accepted, they would replace its rating.
  const existing = firstRecord(lines, FALLBACK_METRIC);
  const { invocation_id: _id, ...noId } = existing;
  const { success: _s, ...noSuccess } = existing;
  return [
    ...commonBadLines({ ...existing, quality_rating: 1, success: false }, 'feedback_source'),
    { name: 'no invocation_id', bytes: json({ ...noId, quality_rating: 1 }), verdict: reject(/^missing invocation_id$/) },
    { name: 'empty invocation_id', bytes: json({ ...existing, invocation_id: '' }), verdict: reject(/^missing invocation_id \(empty string\)$/) },
    { name: 'no success', bytes: json(noSuccess), verdict: reject(/^missing success$/) },
    { name: '257-character invocation_id', bytes: json({ ...existing, invocation_id: 'i'.repeat(257) }), verdict: reject(/^invocation_id is 257 characters long; the limit is 256$/) },
    { name: 'success a string', bytes: json({ ...existing, success: 'false' }), verdict: reject(/^success must be a boolean/) },
    { name: 'quality a string', bytes: json({ ...existing, quality_rating: '1' }), verdict: reject(/^quality_rating must be a number/) },
    ...[0, 6, -1].map((rating) => ({
      name: `quality ${rating}`,
      bytes: json({ ...existing, quality_rating: rating }),
      verdict: reject(new RegExp(`^quality_rating must be between 1 and 5, got ${rating}$`)),
    })),
  ];
}

function workflowBadLines(lines: Buffer[]): BadLine[] {
  const start = firstRecord(lines, FALLBACK_START, (r) => r.event === 'workflow_start');
  const complete = firstRecord(lines, FALLBACK_COMPLETE, (r) => r.event === 'workflow_complete');
  const { event: _e, ...noEvent } = complete;
  const { timestamp: _t, ...noTimestamp } = start;
  const { workflow_id: _w, ...noWorkflow } = complete;
  return [
    ...commonBadLines({ ...complete, success: false, duration_seconds: 1 }, 'session_id'),
    { name: 'agent_plan not a list', bytes: json({ ...start, agent_plan: 'a,b' }), verdict: reject(/^agent_plan must be a list/) },
    { name: 'complete with success a string', bytes: json({ ...complete, success: 'no' }), verdict: reject(/^success must be a boolean/) },
    { name: 'complete with duration a string', bytes: json({ ...complete, duration_seconds: '1' }), verdict: reject(/^duration_seconds must be a number/) },
    { name: 'complete with agents a string', bytes: json({ ...complete, agents_executed: 'x' }), verdict: reject(/^agents_executed must be a list/) },
    { name: 'no event', bytes: json(noEvent), verdict: reject(/^missing event$/) },
    { name: 'no timestamp', bytes: json(noTimestamp), verdict: reject(/^missing timestamp$/) },
    { name: 'workflow_id a number', bytes: json({ ...complete, workflow_id: 3 }), verdict: reject(/^workflow_id must be a string/) },
    { name: 'start with a 1e-300 estimate', bytes: json({ ...start, estimated_duration: 1e-300 }), verdict: reject(/^estimated_duration must be 0 or at least 0\.000001 seconds/) },
    { name: 'complete in 1e10 s', bytes: json({ ...complete, duration_seconds: 1e10 }), verdict: reject(/^duration_seconds must be from 0 to 10000000 seconds, got 10000000000$/) },
    { name: 'complete in -1 s', bytes: json({ ...complete, duration_seconds: -1 }), verdict: reject(/^duration_seconds must be from 0 to 10000000 seconds, got -1$/) },
    { name: 'start with a 300-character project', bytes: json({ ...start, project_name: 'p'.repeat(300) }), verdict: reject(/^project_name is 300 characters long; the limit is 256$/) },
    { name: 'complete with 257 agents', bytes: json({ ...complete, agents_executed: Array.from({ length: 257 }, (_, i) => `a${i}`) }), verdict: reject(/^agents_executed has 257 entries; the limit is 256$/) },
    // Valid, and ignored by the reference: skipped, never rejected.
    { name: 'complete without workflow_id', bytes: json({ ...noWorkflow, duration_seconds: 1, success: false }), verdict: { type: 'skipped' } },
  ];
}

interface Spliced {
  readonly file: SourceKind;
  readonly line: number;
  readonly byteOffset: number;
  readonly bad: BadLine;
}

/** Writes the clean lines with the bad ones inserted at random positions; returns where each went. */
function writeWithBadLines(
  file: string,
  kind: SourceKind,
  clean: Buffer[],
  bad: BadLine[],
  random: () => number,
  unterminatedTail: BadLine | null,
): Spliced[] {
  const lines: (Buffer | BadLine)[] = [...clean];
  for (const b of bad) lines.splice(Math.floor(random() * (lines.length + 1)), 0, b);
  const spliced: Spliced[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  lines.forEach((entry, i) => {
    const bytes = Buffer.isBuffer(entry) ? entry : entry.bytes;
    if (!Buffer.isBuffer(entry)) spliced.push({ file: kind, line: i + 1, byteOffset: offset, bad: entry });
    parts.push(bytes, Buffer.from([0x0a]));
    offset += bytes.length + 1;
  });
  if (unterminatedTail !== null) {
    // An unterminated tail is an unfinished line: not counted at all (neither good nor bad).
    parts.push(unterminatedTail.bytes);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
  return spliced;
}

/** A rejection as handed to onRejection, and whether its bytes were withheld (over the length limit). */
type Reported = Rejection & { readonly bytesNull: boolean };

/** Every answer the queries give for a case, with the arguments its expected.json uses and a few more. */
function answers(dir: string, expected: Expected) {
  const rejections: Reported[] = [];
  const ingest = replayDirectory(dir, { onRejection: (r, _bytes, whole) => rejections.push({ ...r, bytesNull: !whole }) });
  const state = ingest.state;
  const nowUs = parseTimestampUs(expected.now);
  const stats = q.stats(state);
  const agentNames = [...new Set([...Object.keys(expected.trends), ...Object.keys(stats.agents)])];
  const taskTypes = [...new Set([...Object.keys(expected.ranking), ...Object.values(stats.agents).flatMap((a) => a.common_task_types)])];
  const answers = {
    stats,
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    trends: agentNames.map((agent) => [agent, [30, 14, 7, 1].map((days) => q.trends(state, agent, days, nowUs))]),
    ranking: taskTypes.map((tt) => [tt, q.ranking(state, tt === '' ? undefined : tt)]),
    bestAgents: expected.best_agent.map((b) => {
      const args = { task: b.task, domain: b.domain ?? undefined, minConfidence: b.min_confidence, nowUs };
      return [q.bestAgents(state, args), q.bestAgentFor(state, args), q.bestAgents(state, { ...args, minConfidence: 0 })];
    }),
    open: q.open(state, nowUs),
    agents: [q.agents(state), q.agents(state, 3)],
  };
  return { ingest, state, answers, rejections };
}

const dirs = tempDirsPerFile();
let work: string;
beforeAll(() => {
  work = dirs.make('oak-badlines-');
});

describe('bad lines never change any figure', () => {
  it('has parity cases to run', () => {
    expect(CASES).toEqual(expect.arrayContaining(['edge-mixed', 'empty', 'generated-150', 'seed-demo']));
  });

  describe.each(CASES.flatMap((name) => [1, 2].map((seed) => [name, seed] as const)))('%s (seed %i)', (name, seed) => {
    it('gives the clean answers and reports every bad line exactly', () => {
      const expected = JSON.parse(fs.readFileSync(path.join(fixtures, name, 'expected.json'), 'utf8')) as Expected;
      const cleanDir = path.join(work, `${name}-${seed}-clean`);
      const dirtyDir = path.join(work, `${name}-${seed}-dirty`);
      fs.mkdirSync(cleanDir);
      fs.mkdirSync(dirtyDir);
      const random = prng(seed * 7919 + name.length);

      const spliced: Spliced[] = [];
      for (const kind of SOURCE_KINDS) {
        const source = path.join(fixtures, name, SOURCE_FILES[kind]);
        if (fs.existsSync(source)) fs.copyFileSync(source, path.join(cleanDir, SOURCE_FILES[kind]));
        const clean = fileLines(source);
        const bad = kind === 'invocations' ? invocationBadLines(clean) : kind === 'metrics' ? metricBadLines(clean) : workflowBadLines(clean);
        // A second 2 MiB line makes the file longer than one 4 MiB read.
        const extra = kind === 'invocations' ? [{ ...bad.find((b) => b.name === '2 MiB line')!, name: 'second 2 MiB line' }] : [];
        // The metrics file ends in an unterminated bad line (a writer that died mid-line).
        const tail = kind === 'metrics' ? { name: 'unterminated tail', bytes: text('{"invocation_id": "x", "succ'), verdict: reject(/^not JSON: /) } : null;
        spliced.push(...writeWithBadLines(path.join(dirtyDir, SOURCE_FILES[kind]), kind, clean, [...bad, ...extra], random, tail));
      }

      const clean = answers(cleanDir, expected);
      const dirty = answers(dirtyDir, expected);

      // The clean copy really is the case (the answers are not vacuously equal).
      expect(clean.answers.stats.total_invocations).toBe(expected.stats.total_invocations);
      expect(clean.answers.workflows.total_workflows).toBe(expected.workflows.total_workflows);
      expect(clean.rejections).toEqual([]);

      expect(dirty.answers).toEqual(clean.answers);
      expect(dirty.state).toEqual(clean.state);

      // Every rejected line reported once, in file order, where it is.
      const wantRejected = spliced.filter((s) => s.bad.verdict.type === 'rejected');
      expect(dirty.ingest.rejectedCount).toBe(wantRejected.length);
      expect(dirty.rejections.map(({ file, line, byteOffset }) => ({ file, line, byteOffset }))).toEqual(
        wantRejected.map(({ file, line, byteOffset }) => ({ file, line, byteOffset })),
      );
      dirty.rejections.forEach((r, i) => {
        const { bad } = wantRejected[i]!;
        expect(r.reason, `${bad.name} in ${r.file}:${r.line}`).toMatch((bad.verdict as { reason: RegExp }).reason);
        expect(r.bytesNull, bad.name).toBe(bad.bytes.length > MIB);
      });

      // Each reported offset is the first byte of the bad line in the file on disk.
      for (const r of dirty.rejections) {
        const { bad } = wantRejected.find((s) => s.file === r.file && s.line === r.line)!;
        const fd = fs.openSync(path.join(dirtyDir, SOURCE_FILES[r.file]), 'r');
        try {
          const want = bad.bytes.subarray(0, 4096);
          const got = Buffer.alloc(want.length + 1);
          const n = fs.readSync(fd, got, 0, got.length, r.byteOffset);
          expect(got.subarray(0, want.length).equals(want), `${bad.name} at ${r.file}:${r.line} byte ${r.byteOffset}`).toBe(true);
          if (bad.bytes.length < 4096 && n > want.length) expect(got[want.length], `${bad.name} ends with a newline`).toBe(0x0a);
          if (r.byteOffset > 0) {
            const before = Buffer.alloc(1);
            fs.readSync(fd, before, 0, 1, r.byteOffset - 1);
            expect(before[0], `${bad.name} starts a line`).toBe(0x0a);
          }
        } finally {
          fs.closeSync(fd);
        }
      }

      // Blank and skipped lines are counted as such, not as rejections, and nothing else moved.
      for (const kind of SOURCE_KINDS) {
        const mine = spliced.filter((s) => s.file === kind);
        const c = clean.ingest.totals.perSource[kind];
        expect(dirty.ingest.totals.perSource[kind], kind).toEqual({
          applied: c.applied,
          blank: c.blank + mine.filter((s) => s.bad.verdict.type === 'blank').length,
          skipped: c.skipped + mine.filter((s) => s.bad.verdict.type === 'skipped').length,
          rejected: mine.filter((s) => s.bad.verdict.type === 'rejected').length,
        });
      }
    });
  });
});
