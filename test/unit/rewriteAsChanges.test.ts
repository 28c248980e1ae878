/**
 * A rewrite of the invocations file applied as changes (RewriteDiff + Ingest.applyRewrite, the
 * way FileSource does it) gives exactly what a batch replay of the new file gives: any record
 * set (ids repeated, blank lines, later records replacing earlier ones), a rewrite changing k
 * random records, optionally every line reformatted (other key order, other spacing), and
 * sometimes records removed, reordered or given other ids (those must be refused, and rebuilt).
 * The rewritten file is read as the daemon reads it: in pieces, lines without their text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceKind } from '../../src/domain/sources.js';
import { Ingest } from '../../src/pipeline/ingest.js';
import { LineSplitter, type RawLine } from '../../src/pipeline/splitLines.js';
import { initialState, type TelemetryState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { InvocationLines, NO_ROW } from '../../src/sources/invocationLines.js';
import { RewriteDiff } from '../../src/sources/rewriteDiff.js';

const MAX = 1 << 20;
const AGENTS = ['planner', 'coder', '__proto__', 'tester'];
const STATUSES = ['success', 'failure', 'partial', 'unknown'];
const WORKFLOWS = ['w1', 'w2', 'w3'];

type Rec = Record<string, unknown>;

const recordArb = (id: string): fc.Arbitrary<Rec> =>
  fc
    .record({
      minute: fc.integer({ min: 0, max: 50 }),
      agent: fc.constantFrom(...AGENTS),
      status: fc.constantFrom(...STATUSES),
      duration: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 900 }), fc.constant(12.5)),
      workflow: fc.constantFrom(...WORKFLOWS),
      task: fc.constantFrom('Build API', 'build api', 'fix bug'),
      error: fc.oneof(fc.constant(null), fc.constant('boom')),
    })
    .map((r) => ({
      timestamp: `2026-11-01T10:${String(r.minute).padStart(2, '0')}:00.000000Z`,
      session_id: 's1',
      invocation_id: id,
      agent_name: r.agent,
      agent_type: 'development',
      task_description: r.task,
      state_features: { task: { type: 'bug_fix' } },
      workflow_id: r.workflow,
      duration_seconds: r.duration,
      outcome: { status: r.status, error_message: r.error },
    }));

/** A line of the file: a record, or a blank line. */
type Line = Rec | null;

const fileArb: fc.Arbitrary<Line[]> = fc
  .array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.constant(-1) }), { minLength: 1, maxLength: 30 })
  .chain((ids) => fc.tuple(...ids.map((id) => (id < 0 ? fc.constant(null) : recordArb(`inv-${id}`)))));

/** json.dumps(record): ", " and ": "; sorted keys and no spaces for the reformatted rewrite. */
function pyDumps(value: unknown, compact: boolean): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyDumps(v, compact)).join(compact ? ',' : ', ')}]`;
  const keys = Object.keys(value);
  if (compact) keys.sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}${compact ? ':' : ': '}${pyDumps((value as Rec)[k], compact)}`).join(compact ? ',' : ', ')}}`;
}

function text(lines: readonly Line[], compact = false): string {
  return lines.map((l) => (l === null ? '\n' : `${pyDumps(l, compact)}\n`)).join('');
}

/**
 * The lines of `content`, read whole with their text (as a catch-up reads), or as a rewrite's
 * reader reads: without their text, in pieces of `pieceBytes` (lines across pieces come as one
 * joined Buffer, lines inside one as a view of it: both must hash alike).
 */
function rawLines(content: string, pieceBytes?: number): RawLine[] {
  const out: RawLine[] = [];
  const bytes = Buffer.from(content);
  if (pieceBytes === undefined) {
    new LineSplitter(MAX).push(bytes, (line) => out.push(line));
    return out;
  }
  const splitter = new LineSplitter(MAX, 0, 1, false);
  for (let at = 0; at < bytes.length; at += pieceBytes) splitter.push(Buffer.from(bytes.subarray(at, at + pieceBytes)), (line) => out.push(line));
  return out;
}

const METRICS = `${JSON.stringify({ timestamp: '2026-11-01T11:00:00.000000Z', invocation_id: 'inv-1', success: true, quality_rating: 4 })}\n`;
const EVENTS = [
  { timestamp: '2026-11-01T09:00:00.000000Z', event: 'workflow_start', workflow_id: 'w1', session_id: 's1', project_name: 'p', agent_plan: ['planner', 'coder'], estimated_duration: 600 },
  { timestamp: '2026-11-01T11:30:00.000000Z', event: 'workflow_complete', workflow_id: 'w1', success: true, duration_seconds: 9000 },
]
  .map((e) => `${JSON.stringify(e)}\n`)
  .join('');

/** The other two files, then the invocations (the state of a daemon that read them in this order). */
function replay(invocations: string, lines?: InvocationLines): Ingest {
  const ingest = new Ingest(initialState(), { maxLineBytes: MAX });
  const feed = (kind: SourceKind, content: string) => {
    for (const raw of rawLines(content)) {
      const outcome = ingest.line(kind, raw);
      if (kind === 'invocations' && lines !== undefined) {
        const row = outcome.type === 'event' && outcome.event.kind === 'invocation' ? ingest.state.ledger.invocationIds.find(outcome.event.invocationId) : NO_ROW;
        lines.note(raw, row);
      }
    }
  };
  feed('workflow_events', EVENTS);
  feed('metrics', METRICS);
  feed('invocations', invocations);
  return ingest;
}

function answers(ingest: Ingest): Record<string, unknown> {
  const state: TelemetryState = ingest.state;
  return {
    stats: q.stats(state),
    agentOrder: Object.keys(q.stats(state).agents),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    ranking: q.ranking(state),
    agents: q.agents(state),
    open: q.open(state, Date.parse('2026-11-02T00:00:00Z') * 1000),
    handoffs: q.handoffs(state),
    gaps: q.gaps(state),
    estimates: q.estimates(state),
    counts: state.counts,
    tally: ingest.totals.perSource.invocations,
  };
}

/** The old record with one field of the fresh one (as update_invocation fills in the outcome), or the fresh one whole. */
function oneField(old: Rec, fresh: Rec, field: string): Rec {
  if (field === 'all') return fresh;
  if (field === 'status' || field === 'error_message') return { ...old, outcome: { ...(old.outcome as Rec), [field]: (fresh.outcome as Rec)[field] } };
  return { ...old, [field]: fresh[field] };
}

const FIELDS = ['all', 'status', 'error_message', 'duration_seconds', 'timestamp', 'agent_name', 'task_description', 'workflow_id'] as const;

type Edit = { readonly kind: 'change'; readonly at: number[]; readonly fresh: Rec[]; readonly field: string } | { readonly kind: 'remove' | 'swap' | 'rename'; readonly at: number };

const editArb = (lines: readonly Line[]): fc.Arbitrary<{ edit: Edit; compact: boolean; appended: Line[] }> => {
  const n = lines.length;
  const change = fc
    .uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: Math.min(3, n) })
    .chain((at) => fc.tuple(fc.constant(at), fc.tuple(...at.map((i) => recordArb(String((lines[i] as Rec | null)?.invocation_id ?? `inv-${i}`)))), fc.constantFrom(...FIELDS)))
    .map(([at, fresh, field]): Edit => ({ kind: 'change', at, fresh, field }));
  const other = fc.record({ kind: fc.constantFrom('remove' as const, 'swap' as const, 'rename' as const), at: fc.integer({ min: 0, max: n - 1 }) });
  return fc.record({
    edit: fc.oneof({ weight: 3, arbitrary: change }, { weight: 1, arbitrary: other }),
    compact: fc.boolean(),
    appended: fc.array(recordArb('inv-new'), { maxLength: 2 }),
  });
};

function edited(lines: readonly Line[], edit: Edit, appended: readonly Line[]): Line[] {
  const out = [...lines];
  if (edit.kind === 'change') edit.at.forEach((i, k) => (out[i] = lines[i] === null ? null : oneField(lines[i] as Rec, edit.fresh[k] as Rec, edit.field)));
  else if (edit.kind === 'remove') out.splice(edit.at, 1);
  else if (edit.kind === 'swap') [out[edit.at], out[(edit.at + 1) % out.length]] = [out[(edit.at + 1) % out.length] as Line, out[edit.at] as Line];
  else if (out[edit.at] !== null) out[edit.at] = { ...(out[edit.at] as Rec), invocation_id: 'inv-renamed' };
  return [...out, ...appended];
}

describe('a rewrite of the invocations file applied as changes', () => {
  it('equals a batch replay of the new file, or is refused (and rebuilt)', () => {
    const seen = { applied: 0, refused: 0, decodedFew: 0 };
    fc.assert(
      fc.property(
        fileArb.chain((lines) => fc.tuple(fc.constant(lines), editArb(lines))),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        ([lines, { edit, compact, appended }], pieceBytes, againPieceBytes) => {
          const old = text(lines);
          const before = new InvocationLines();
          const served = replay(old, before);
          const newText = text(edited(lines, edit, appended), compact);
          const diff = new RewriteDiff(served.state, before, MAX);
          for (const raw of rawLines(newText, pieceBytes)) diff.line(raw);
          const mismatch = diff.finish();
          const batch = replay(newText);
          if (mismatch !== null) {
            seen.refused++;
            // Only a change of the ids' order, or a removed one, is refused.
            expect(edit.kind === 'change' && appended.length === 0 && !compact).toBe(false);
            return;
          }
          seen.applied++;
          if (!compact && edit.kind === 'change' && diff.decoded <= edit.at.length + appended.length) seen.decodedFew++;
          served.applyRewrite(diff.changes(), diff.tally);
          expect(JSON.stringify(answers(served))).toBe(JSON.stringify(answers(batch)));
          // The next rewrite is told apart from the new file's lines.
          const again = new RewriteDiff(served.state, diff.lines, MAX);
          for (const raw of rawLines(newText, againPieceBytes)) again.line(raw);
          expect(again.finish()).toBeNull();
          expect(again.changes()).toEqual([]);
          // Only a line that a later one of the same id overrides is decoded again.
          const ids = newText.split('\n').slice(0, -1).map((l) => (l === '' ? null : (JSON.parse(l) as Rec).invocation_id));
          expect(again.decoded).toBe(ids.filter((id, i) => id !== null && ids.indexOf(id, i + 1) >= 0).length);
        },
      ),
      { numRuns: 400 },
    );
    expect(seen.applied).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(10);
    expect(seen.decodedFew).toBeGreaterThan(50);
  });
});
