/**
 * One-shot replays (a query with --source replay or without a checkpoint, mcp's first load,
 * validate) decoded in the worker thread against the same on one thread, on damaged files (a
 * line that is not JSON, a record that is not valid, unfinished last lines, one of them over the
 * length limit): the same state and tallies, the same file tails afterwards (so what follows a
 * first load, mcp between calls, reads on the same), and from the built CLI the same answers,
 * bad-line reports and faults. The worker is forced on these small files with
 * OAK_TELEMETRY_DECODE_WORKER=always (in process: the built worker's URL). `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedTelemetry } from '../../src/cli/generateCommand.js';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { readToEnd, type Resumed } from '../../src/io/resume.js';
import type { SourceSet } from '../../src/io/sourceSet.js';
import type { LineSplitter } from '../../src/pipeline/splitLines.js';
import { replayFresh } from '../../src/state/fileState.js';
import { ROOT, runCli, type CliRun } from '../support/cliRunner.js';
import { AS_NOBODY, nobodyUnavailable } from '../support/smallTmpfs.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const WORKER = path.join(ROOT, 'dist/src/io/replayDecodeWorker.js');
const workerUrl = pathToFileURL(WORKER);
const MAX_LINE_BYTES = 64 * 1024;
const dirs = tempDirsPerFile();

/** What each file gets after its generated lines: bad lines, then an unfinished last line. */
const DAMAGE: Record<SourceKind, { readonly bad: readonly string[]; readonly unfinished: string }> = {
  invocations: { bad: ['not json', '{"invocation_id": 5}', '[1, 2]'], unfinished: '{"invocation_id": "half' },
  metrics: { bad: ['{"succ'], unfinished: '{"invocation_id": "x", "success": tr' },
  // Over the limit and unfinished: the splitter has reported it and drops its bytes.
  workflow_events: { bad: ['{"event": "workflow_start"}', ''], unfinished: `{"x": "${'y'.repeat(MAX_LINE_BYTES + 10)}` },
};

function damage(dir: string): void {
  for (const kind of SOURCE_KINDS) {
    const file = path.join(dir, SOURCE_FILES[kind]);
    const lines = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
    DAMAGE[kind].bad.forEach((bad, i) => lines.splice(Math.floor(((i + 1) * lines.length) / (DAMAGE[kind].bad.length + 1)), 0, bad));
    fs.writeFileSync(file, `${lines.join('\n')}\n${DAMAGE[kind].unfinished}`);
  }
}

/** A copy of `from` (a fresh inode per file, as a user's files would have). */
function copyOf(from: string, prefix: string): string {
  const dir = dirs.make(prefix);
  for (const name of Object.values(SOURCE_FILES)) fs.copyFileSync(path.join(from, name), path.join(dir, name));
  return dir;
}

/** A FileTail's private state, to hold the worker's adoption to a tail's own read. */
interface TailInside {
  ino: number;
  head: Buffer;
  recent: Buffer;
  readOffset: number;
  prefix: unknown;
  seen: { size: number; mtimeMs: number } | null;
  lastLook: { size: number; ctimeMs: number; lookedAtMs: number } | null;
  quickSuspect: boolean;
  checkWanted: boolean;
  resumeFrom: unknown;
  splitter: LineSplitter;
}

/** Everything a set's tails hold, less the moment of their look (each read looked at its own). */
function tailsOf(sources: SourceSet) {
  const tails = (sources as unknown as { tails: Record<SourceKind, TailInside> }).tails;
  return SOURCE_KINDS.map((kind) => {
    const t = tails[kind];
    const splitter = t.splitter.state();
    return {
      kind,
      ino: t.ino,
      head: t.head.toString('hex'),
      recent: t.recent.toString('hex'),
      readOffset: t.readOffset,
      prefix: t.prefix,
      seen: t.seen,
      lastLook: t.lastLook === null ? null : { size: t.lastLook.size, ctimeMs: t.lastLook.ctimeMs },
      quickSuspect: t.quickSuspect,
      checkWanted: t.checkWanted,
      resumeFrom: t.resumeFrom,
      splitter: { ...splitter, pending: Buffer.from(splitter.pending).toString('hex') },
    };
  });
}

function positionsOf(sources: SourceSet) {
  const positions = sources.positions();
  return SOURCE_KINDS.map((kind) => {
    const { fingerprint, ...rest } = positions[kind];
    if (fingerprint === null) return { ...rest, fingerprint };
    const { settled, ...fp } = fingerprint;
    return { ...rest, fingerprint: { ...fp, settled: settled === undefined ? undefined : { size: settled.size, ctimeMs: settled.ctimeMs } } };
  });
}

/** What a replay holds: its answers' state, tallies, and where its tails stand. */
function held(resumed: Resumed) {
  const { ingest, sources } = resumed;
  return {
    state: ingest.state,
    totals: JSON.stringify([ingest.totals.perSource, [...ingest.totals.skippedByReason], [...ingest.totals.rejectedByKind]]),
    rejected: ingest.rejectedCount,
    positions: positionsOf(sources),
    statuses: sources.statuses(),
    lag: sources.lagBytes(),
    tails: tailsOf(sources),
    // Files whose read failed, and the wait before the next try (not when: each set has its clock).
    faulted: [...(sources as unknown as { faulted: Map<SourceKind, { op: string; delayMs: number }> }).faulted].map(([kind, f]) => [kind, f.op, f.delayMs]),
  };
}

let damaged: string;
beforeAll(async () => {
  expect(fs.existsSync(WORKER), `${WORKER} (npm run build first)`).toBe(true);
  damaged = dirs.make('oak-oneshot-damaged-');
  await writeGeneratedTelemetry(damaged, { workflows: 300, seed: 11 });
  damage(damaged);
});

describe('a fresh replay decoded in the worker (in process)', () => {
  function both(dir: string) {
    const worker = replayFresh(dir, MAX_LINE_BYTES, workerUrl);
    const own = replayFresh(dir, MAX_LINE_BYTES, 'never');
    expect(worker.inWorker, 'the worker decoded').toBe(true);
    expect(own.inWorker).toBe(false);
    return { worker: worker.resumed, own: own.resumed };
  }

  it('holds the state, tallies and tails a one-thread read holds, and reads on from there the same', () => {
    const dir = copyOf(damaged, 'oak-oneshot-follow-');
    const { worker, own } = both(dir);
    const first = held(own);
    expect(first.rejected).toBe(6);
    expect(first.lag).toBeGreaterThan(MAX_LINE_BYTES);
    expect(held(worker)).toEqual(first);

    // The unfinished lines end (the overlong one too), and more lines come, good and bad.
    const good = (kind: SourceKind) => fs.readFileSync(path.join(damaged, SOURCE_FILES[kind]), 'utf8').split('\n')[0] as string;
    fs.appendFileSync(path.join(dir, SOURCE_FILES.invocations), `", "x": 1}\n${good('invocations')}\nnot json\n{"half`);
    fs.appendFileSync(path.join(dir, SOURCE_FILES.metrics), `ue}\n${good('metrics')}\n`);
    fs.appendFileSync(path.join(dir, SOURCE_FILES.workflow_events), `yyy"}\n${good('workflow_events')}\n`);
    expect(readToEnd(own)).toBe(true);
    expect(readToEnd(worker)).toBe(true);
    const second = held(own);
    expect(second.rejected).toBeGreaterThan(first.rejected);
    expect(held(worker)).toEqual(second);

    // Cut into the unfinished line (bytes read, not applied): a rewrite for both.
    const invocations = path.join(dir, SOURCE_FILES.invocations);
    fs.truncateSync(invocations, fs.statSync(invocations).size - 2);
    expect(readToEnd(own)).toBe(false);
    expect(readToEnd(worker)).toBe(false);
  });

  it('sees a same-size rewrite of the head as a one-thread read does', () => {
    const dir = copyOf(damaged, 'oak-oneshot-rewrite-');
    const { worker, own } = both(dir);
    const metrics = path.join(dir, SOURCE_FILES.metrics);
    const fd = fs.openSync(metrics, 'r+');
    fs.writeSync(fd, Buffer.from(' '), 0, 1, 0);
    fs.closeSync(fd);
    expect(readToEnd(own)).toBe(false);
    expect(readToEnd(worker)).toBe(false);
  });

  it.each([
    ['a directory as the metrics', 'metrics'],
    ['a directory as the workflow events', 'workflow_events'],
  ] as const)('%s: the same error, and the same partial read held for the next read', (_name, kind) => {
    const dir = copyOf(damaged, 'oak-oneshot-heldfault-');
    fs.rmSync(path.join(dir, SOURCE_FILES[kind]));
    fs.mkdirSync(path.join(dir, SOURCE_FILES[kind]));
    const attempt = (choice: URL | 'never') => {
      let kept: Resumed | null = null;
      try {
        replayFresh(dir, MAX_LINE_BYTES, choice, (resumed) => {
          kept = resumed;
        });
      } catch (error) {
        expect(kept, 'the replay was held before the read that failed').not.toBeNull();
        return { error: String(error), held: held(kept as unknown as Resumed) };
      }
      throw new Error('did not throw');
    };
    const own = attempt('never');
    expect(own.error).toContain('it is a directory');
    expect(own.held.faulted).toEqual([[kind, 'open', 100]]);
    expect(attempt(workerUrl)).toEqual(own);
  });

  it('holds the same for missing and empty files', () => {
    const dir = dirs.make('oak-oneshot-sparse-');
    fs.copyFileSync(path.join(damaged, SOURCE_FILES.metrics), path.join(dir, SOURCE_FILES.metrics));
    fs.writeFileSync(path.join(dir, SOURCE_FILES.workflow_events), '');
    const { worker, own } = both(dir);
    expect(held(worker)).toEqual(held(own));
    fs.writeFileSync(path.join(dir, SOURCE_FILES.invocations), `${fs.readFileSync(path.join(damaged, SOURCE_FILES.invocations), 'utf8').split('\n')[0]}\n`);
    fs.appendFileSync(path.join(dir, SOURCE_FILES.workflow_events), 'not json\n');
    expect(readToEnd(own)).toBe(true);
    expect(readToEnd(worker)).toBe(true);
    expect(held(worker)).toEqual(held(own));
  });
});

describe('the CLI with and without the worker', () => {
  const ALWAYS = { OAK_TELEMETRY_DECODE_WORKER: 'always', OAK_TELEMETRY_MAX_LINE_BYTES: String(MAX_LINE_BYTES) };
  const NEVER = { OAK_TELEMETRY_DECODE_WORKER: 'never', OAK_TELEMETRY_MAX_LINE_BYTES: String(MAX_LINE_BYTES) };
  const QUERIES = [
    ['stats', '--json'],
    ['stats'],
    ['best-agent', '--task', 'test login e2e coverage', '--all', '--min-confidence', '0', '--now', '2026-11-01T00:00:00Z', '--json'],
    ['workflows', '--json'],
    ['validate', '--json'],
    ['validate'],
  ] as const;

  function run(args: readonly string[], dir: string, env: Record<string, string>, prefix?: readonly string[]): CliRun {
    const replay = args[0] === 'validate' ? [] : ['--source', 'replay'];
    return runCli([...args, ...replay, '--dir', dir], { env, ...(prefix === undefined ? {} : { prefix }) });
  }

  it.each(QUERIES.map((q) => [q.join(' '), q] as const))('%s: the same output, bad-line reports and exit code', (_name, args) => {
    const own = run(args, damaged, NEVER);
    expect(own.stdout.length).toBeGreaterThan(0);
    if (args[0] === 'validate') {
      expect(own.code).toBe(1);
      expect(own.stdout).toMatch(/not_json|not JSON|invalid/i);
    } else {
      expect(own.code, own.stderr).toBe(0);
      expect(own.stderr).toMatch(/skipped \d+ bad lines/);
    }
    expect(run(args, damaged, ALWAYS)).toEqual(own);
  });

  it('--verbose says a worker decoded the replay only when one did', () => {
    expect(run(['stats', '--json', '--verbose'], damaged, ALWAYS).stderr).toMatch(/answered by a replay of .*, decoded in a worker thread/);
    expect(run(['stats', '--json', '--verbose'], damaged, NEVER).stderr).not.toMatch(/worker/);
  });

  it.each([
    ['a directory as the metrics', 'metrics'],
    ['a directory as the workflow events', 'workflow_events'],
  ] as const)('%s: the same failure', (_name, kind) => {
    const dir = copyOf(damaged, 'oak-oneshot-fault-');
    fs.rmSync(path.join(dir, SOURCE_FILES[kind]));
    fs.mkdirSync(path.join(dir, SOURCE_FILES[kind]));
    for (const args of [['stats', '--json'], ['validate']]) {
      const own = run(args, dir, NEVER);
      expect(own.code).not.toBe(0);
      expect(own.stderr).toContain('it is a directory');
      expect(run(args, dir, ALWAYS)).toEqual(own);
    }
  });

  it.skipIf(nobodyUnavailable !== null)('an invocations file the user may not read (as nobody): the same failure', () => {
    const dir = copyOf(damaged, 'oak-oneshot-eacces-');
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, SOURCE_FILES.invocations), 0o000);
    const own = run(['stats', '--json'], dir, NEVER, AS_NOBODY);
    expect(own.code).not.toBe(0);
    expect(own.stderr).toContain('permission denied (EACCES)');
    expect(run(['stats', '--json'], dir, ALWAYS, AS_NOBODY)).toEqual(own);
  });

  it('refuses an OAK_TELEMETRY_DECODE_WORKER it does not know', () => {
    const r = run(['stats', '--json'], damaged, { OAK_TELEMETRY_DECODE_WORKER: 'sometimes' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('OAK_TELEMETRY_DECODE_WORKER must be auto, never or always');
  });
});
