/**
 * `--source auto` (checkpoint + what the files gained since) answers exactly as a replay of
 * the files from the start, whatever was checkpointed and whatever came after: appends,
 * replacement records, bad lines, a line cut in two by the checkpoint, a file rewritten or
 * truncated after it.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { stringifyJson } from '../../src/domain/jsonText.js';
import { saveCheckpointSync } from '../../src/io/checkpointStore.js';
import { readToEnd, resume } from '../../src/io/resume.js';
import { generateTelemetry } from '../../src/generate/generateTelemetry.js';
import { loadState } from '../../src/cli/loadState.js';
import type { TelemetryState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const MAX_LINE = 1024 * 1024;
const dirs = tempDirsPerFile();
let root: string;
beforeAll(() => {
  root = dirs.make('oak-auto-');
});

function linesOf(workflows: number, seed: number): Record<SourceKind, string[]> {
  const files: Record<SourceKind, string[]> = { invocations: [], metrics: [], workflow_events: [] };
  for (const { kind, line } of generateTelemetry({ workflows, seed, days: 10 })) files[kind].push(line);
  return files;
}

/** A later record for the same invocation: the replacement the append-only logger writes. */
function replacement(line: string, status: string): string {
  const record = JSON.parse(line) as { outcome?: { status?: string }; duration_seconds?: number | null };
  return JSON.stringify({ ...record, duration_seconds: 42.5, outcome: { ...record.outcome, status } });
}

function answers(state: TelemetryState): string {
  const nowUs = Date.parse('2026-11-01T00:00:00Z') * 1000;
  const agents = Object.keys(q.stats(state).agents);
  return stringifyJson({
    stats: q.stats(state),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    open: q.open(state, nowUs),
    agents: q.agents(state),
    ranking: q.ranking(state),
    trends: agents.map((a) => q.trends(state, a, 30, nowUs)),
    best: q.bestAgents(state, { task: 'api endpoint payment', minConfidence: 0, nowUs }),
  });
}

type After = 'append' | 'rewrite' | 'truncate';

describe('--source auto == --source replay', () => {
  it('for any checkpoint position and anything written after it', () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        fc.constantFrom<After>('append', 'append', 'append', 'rewrite', 'truncate'),
        fc.boolean(),
        (workflows, seed, cuts, after, cutMidLine) => {
          const dir = path.join(root, `case-${run++}`);
          const stateDir = path.join(dir, '.oak-telemetry');
          fs.mkdirSync(stateDir, { recursive: true });
          const lines = linesOf(workflows, seed);
          // Replacements and bad lines among the invocations, some before and some after the cut.
          const inv = lines.invocations;
          if (inv.length > 0) {
            inv.push(replacement(inv[0] as string, 'failure'), '{"not": "closed"', replacement(inv[inv.length - 1] as string, 'success'));
          }
          const texts = Object.fromEntries(SOURCE_KINDS.map((kind) => [kind, lines[kind].map((l) => l + '\n').join('')])) as Record<SourceKind, string>;
          const prefix = (kind: SourceKind, i: number) => {
            const text = texts[kind];
            const lineCut = text.split('\n').slice(0, Math.floor((cuts[i] as number) * lines[kind].length)).join('\n');
            const whole = lineCut.length === 0 ? '' : lineCut + '\n';
            // Sometimes the checkpoint sees half a line (a writer mid-line).
            return cutMidLine && whole.length < text.length ? text.slice(0, whole.length + 7) : whole;
          };
          SOURCE_KINDS.forEach((kind, i) => fs.writeFileSync(path.join(dir, SOURCE_FILES[kind]), prefix(kind, i)));

          // What the daemon does: fold what is there, checkpoint it with its positions.
          const first = resume(stateDir, dir, MAX_LINE, {});
          expect(readToEnd(first)).toBe(true);
          saveCheckpointSync(stateDir, {
            dir,
            positions: first.sources.positions(),
            totals: first.ingest.totals,
            rebuilds: 0,
            rejectedFileSize: 0,
            alertsFileSize: 0,
            activeAlerts: [],
            savedAt: '2026-11-01T00:00:00Z',
            state: first.ingest.state,
          });

          // Then the files move on.
          for (const kind of SOURCE_KINDS) {
            const file = path.join(dir, SOURCE_FILES[kind]);
            if (after === 'append' || kind !== 'invocations') fs.writeFileSync(file, texts[kind]);
            else if (after === 'rewrite') fs.writeFileSync(file, texts[kind].replace('"success"', '"partial"'));
            else fs.writeFileSync(file, '');
          }
          const skipped: number[] = [];
          const auto = answers(loadState(dir, 'auto', (n) => skipped.push(n)));
          const replay = answers(loadState(dir, 'replay', (n) => skipped.push(n)));
          // Both skip the same bad lines (the unclosed one, when it is complete).
          expect(skipped[0]).toBe(skipped[1]);
          expect(auto).toBe(replay);
        },
      ),
      { numRuns: 40 },
    );
  });
});
