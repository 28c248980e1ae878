/**
 * Bad lines in the live daemon: every kind is counted in health.lines_rejected, logged once in
 * rejected.jsonl with where it is, why, and its text, and changes no figure (snapshot ==
 * batch replay, which skips the same lines). Lines present at start-up and lines appended
 * live go through the same path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_FILES, type SourceKind } from '../../src/domain/sources.js';
import {
  daemonDirsPerTest,
  expectRejectedLogMatchesReplay,
  startDaemon,
  tempDir,
  waitForReplayParity,
} from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const dirs = daemonDirsPerTest();

const MAX_LINE_BYTES = 4096;
const KiB = 1024;

interface BadLine {
  readonly name: string;
  readonly file: SourceKind;
  readonly bytes: Buffer;
  readonly reason: RegExp;
}

const text = (s: string) => Buffer.from(s, 'utf8');
const json = (v: unknown) => text(JSON.stringify(v));
const invocation = (fields: Record<string, unknown>) => ({
  timestamp: '2026-11-20T10:00:00.000000Z',
  session_id: 's-bad',
  invocation_id: 'bad-inv',
  agent_name: 'code-reviewer',
  agent_type: 'quality',
  task_description: 'review',
  workflow_id: null,
  duration_seconds: 12.5,
  outcome: { status: 'success' },
  ...fields,
});

function badLines(tag: string): BadLine[] {
  return [
    { name: 'not JSON', file: 'invocations', bytes: text(`{"invocation_id": "${tag}-nj", "agent_name": `), reason: /^not JSON/ },
    { name: 'not an object (array)', file: 'metrics', bytes: text('[1, 2, 3]'), reason: /^not a JSON object$/ },
    { name: 'not an object (string)', file: 'workflow_events', bytes: text('"workflow_start"'), reason: /^not a JSON object$/ },
    { name: 'missing id', file: 'invocations', bytes: json(invocation({ invocation_id: undefined })), reason: /missing invocation_id/ },
    { name: 'wrong type', file: 'invocations', bytes: json(invocation({ invocation_id: `${tag}-wt`, agent_name: 42 })), reason: /agent_name must be a string/ },
    {
      name: 'quality 7',
      file: 'metrics',
      bytes: json({ timestamp: '2026-11-20T10:00:00.000000Z', invocation_id: `${tag}-q7`, success: true, quality_rating: 7 }),
      reason: /quality_rating must be between 1 and 5/,
    },
    {
      name: 'invalid UTF-8',
      file: 'invocations',
      bytes: Buffer.concat([text(`{"invocation_id": "${tag}-utf8", "agent_name": "bad `), Buffer.from([0xff, 0xfe, 0xc3]), text('", "timestamp": "2026-11-20T10:00:00Z"}')]),
      reason: /^invalid UTF-8$/,
    },
    {
      name: 'over maxLineBytes',
      file: 'workflow_events',
      bytes: json({ timestamp: '2026-11-20T10:00:00.000000Z', event: 'workflow_start', workflow_id: `${tag}-long`, project_name: 'x'.repeat(MAX_LINE_BYTES) }),
      reason: new RegExp(`^line longer than ${MAX_LINE_BYTES} bytes$`),
    },
    {
      name: 'wrong type (workflow event)',
      file: 'workflow_events',
      bytes: json({ timestamp: '2026-11-20T10:00:00.000000Z', event: 'workflow_complete', workflow_id: `${tag}-wc`, duration_seconds: 'long', success: true }),
      reason: /duration_seconds must be a number/,
    },
  ];
}

/** Lines that are not errors: a blank line and a workflow event without workflow_id (skipped). */
function harmlessLines(dir: string): void {
  fs.appendFileSync(path.join(dir, SOURCE_FILES.invocations), '\n');
  fs.appendFileSync(path.join(dir, SOURCE_FILES.workflow_events), JSON.stringify({ timestamp: '2026-11-20T10:00:00Z', event: 'workflow_start' }) + '\n');
}

function append(dir: string, lines: readonly BadLine[]): void {
  for (const line of lines) fs.appendFileSync(path.join(dir, SOURCE_FILES[line.file]), Buffer.concat([line.bytes, text('\n')]));
}

describe('daemon: bad lines', () => {
  it('every kind of bad line is counted and logged once in rejected.jsonl, before start and live', async () => {
    const dir = tempDir();
    dirs.track(dir);
    const work = new Workload(dir, 'good');
    work.workflows(3);
    const early = badLines('early');
    append(dir, early);
    harmlessLines(dir);
    work.workflows(2);

    const daemon = await startDaemon({ dir, config: { maxLineBytes: MAX_LINE_BYTES } });
    const { snapshot: atStart } = await waitForReplayParity(daemon, { maxLineBytes: MAX_LINE_BYTES });
    expect(atStart.health.lines_rejected).toBe(early.length);

    const late = badLines('late');
    append(dir, late);
    harmlessLines(dir);
    work.workflows(2);
    const { snapshot, replay } = await waitForReplayParity(daemon, { maxLineBytes: MAX_LINE_BYTES });
    expect(snapshot.health.lines_rejected).toBe(early.length + late.length);
    expect(snapshot.stats.total_invocations).toBe(21);

    const records = expectRejectedLogMatchesReplay(daemon.stateDir, replay);
    // Each bad line, in file order per file, with its reason and its text.
    const expected = [...early, ...late];
    for (const kind of ['invocations', 'metrics', 'workflow_events'] as const) {
      const ours = expected.filter((l) => l.file === kind);
      const logged = records.filter((r) => r.file === SOURCE_FILES[kind]).sort((a, b) => Number(a.line) - Number(b.line));
      expect(logged.map((r) => r.reason)).toHaveLength(ours.length);
      ours.forEach((line, i) => {
        const record = logged[i] as Record<string, unknown>;
        expect(record.reason, line.name).toMatch(line.reason);
        // Where it is: its line number and byte offset in the file.
        const bytes = fs.readFileSync(path.join(dir, SOURCE_FILES[kind]));
        const offset = record.byte_offset as number;
        expect(bytes.subarray(offset, offset + line.bytes.length).equals(line.bytes), `${line.name}: byte_offset points at the line`).toBe(true);
        expect(bytes.subarray(0, offset).filter((b) => b === 0x0a).length + 1, `${line.name}: line number`).toBe(record.line);
        if (line.name === 'over maxLineBytes') {
          // Only its start is kept (the rest is never buffered), marked as cut.
          const raw = record.raw as string;
          expect(raw.length).toBeGreaterThan(MAX_LINE_BYTES);
          expect(line.bytes.toString('utf8').startsWith(raw)).toBe(true);
          expect(record.truncated).toBe(true);
        } else if (line.name === 'invalid UTF-8') {
          expect(Buffer.from(record.raw_base64 as string, 'base64').equals(line.bytes)).toBe(true);
          expect(record.truncated, 'written only when true').toBeUndefined();
        } else {
          expect(record.raw, line.name).toBe(line.bytes.toString('utf8'));
          expect(record.truncated, 'written only when true').toBeUndefined();
        }
      });
    }
    await daemon.stop();
  });

  it('a 100 KiB bad line is logged with its first 64 KiB, marked truncated', async () => {
    const dir = tempDir();
    dirs.track(dir);
    new Workload(dir).workflows(2);
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);

    const huge = `{"invocation_id": "huge", "agent_name": "${'y'.repeat(100 * KiB)}`; // never closed: not JSON
    fs.appendFileSync(path.join(dir, SOURCE_FILES.invocations), huge + '\n');
    const { snapshot, replay } = await waitForReplayParity(daemon);
    expect(snapshot.health.lines_rejected).toBe(1);
    const [record] = expectRejectedLogMatchesReplay(daemon.stateDir, replay);
    expect(record?.reason).toMatch(/^not JSON/);
    expect(record?.truncated).toBe(true);
    expect(record?.raw).toBe(huge.slice(0, 64 * KiB));
    await daemon.stop();
  });
});
