import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorCode, type FaultSink } from '../../src/io/faults.js';
import { generationPath } from '../../src/io/logGenerations.js';
import { QUEUE_MAX_RECORDS, RETRY_MAX_MS, rejectedRecord, StateLog } from '../../src/io/stateLogs.js';
import { mountSmallTmpfs, tmpfsUnavailable } from '../support/smallTmpfs.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-statelog-'));
});
afterEach(() => {
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A FaultSink that remembers every call. */
function recordingFaults() {
  const raised: Array<{ file: string; op: string; code: string }> = [];
  const cleared: Array<{ file: string; op: string }> = [];
  const sink: FaultSink = {
    raise: (file, op, error) => raised.push({ file, op, code: errorCode(error) }),
    clear: (file, op) => cleared.push({ file, op }),
  };
  return { sink, raised, cleared };
}

function lines(file: string): Array<Record<string, unknown>> {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  if (text !== '') expect(text.endsWith('\n'), `${file} ends with a newline`).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A state dir that cannot be written: its path goes through a regular file (ENOTDIR, even as root). */
function blockedLog(faults: FaultSink) {
  const blocker = path.join(dir, 'state');
  fs.writeFileSync(blocker, 'not a dir');
  const log = new StateLog(path.join(blocker, 'rejected.jsonl'), { faults });
  return { log, file: path.join(blocker, 'rejected.jsonl'), unblock: () => fs.rmSync(blocker) };
}

describe('StateLog', () => {
  it('never throws when the dir cannot be written; the queued records land in order once it can', () => {
    const faults = recordingFaults();
    const { log, file, unblock } = blockedLog(faults.sink);
    expect(() => {
      for (let i = 1; i <= 5; i++) log.append({ n: i });
      log.truncateTo(0);
      log.append({ n: 6 });
      log.append({ n: 7 });
    }).not.toThrow();
    expect(log.pending()).toBe(2);
    expect(faults.raised.length).toBeGreaterThan(0);
    expect(faults.raised.every((f) => f.file === 'rejected.jsonl')).toBe(true);
    expect(log.retry()).toBe(false);

    unblock();
    expect(log.retry()).toBe(true);
    log.append({ n: 8 });
    expect(lines(file).map((r) => r.n)).toEqual([6, 7, 8]);
    expect(faults.cleared).toContainEqual({ file: 'rejected.jsonl', op: 'append' });
    log.close();
  });

  it('while a fault lasts, appends only queue and retries back off; the first retry after it clears writes all, in order', () => {
    vi.useFakeTimers();
    const faults = recordingFaults();
    const { log, file, unblock } = blockedLog(faults.sink);
    for (let i = 1; i <= 200; i++) log.append({ n: i });
    // One failed attempt for 200 appends: the others waited for the retry.
    expect(faults.raised).toHaveLength(1);
    vi.advanceTimersByTime(60_000);
    const attempts = faults.raised.length;
    // 200, 400, 800 ... capped at 5 s: some 16 attempts in a minute, not one per append or poll.
    expect(attempts).toBeGreaterThan(5);
    expect(attempts).toBeLessThanOrEqual(6 + 60_000 / RETRY_MAX_MS);

    unblock();
    log.append({ n: 201 });
    expect(lines(file)).toEqual([]);
    vi.advanceTimersByTime(RETRY_MAX_MS);
    expect(lines(file).map((r) => r.n)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(log.pending()).toBe(0);
    log.close();
  });

  it('close makes a last attempt and stops retrying', () => {
    vi.useFakeTimers();
    const faults = recordingFaults();
    const { log } = blockedLog(faults.sink);
    log.append({ n: 1 });
    log.close();
    const attempts = faults.raised.length;
    expect(attempts).toBe(2);
    vi.advanceTimersByTime(60_000);
    expect(faults.raised).toHaveLength(attempts);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps at most QUEUE_MAX_RECORDS waiting: the oldest are dropped and counted as a fault', () => {
    const faults = recordingFaults();
    const { log, file, unblock } = blockedLog(faults.sink);
    for (let i = 1; i <= QUEUE_MAX_RECORDS + 500; i++) log.append({ n: i });
    expect(log.pending()).toBe(QUEUE_MAX_RECORDS);
    expect(log.dropped()).toBe(500);
    expect(faults.raised.filter((f) => f.op === 'queue')).toHaveLength(500);
    expect(faults.raised.find((f) => f.op === 'queue')?.code).toBe('EQUEUEFULL');
    unblock();
    expect(log.retry()).toBe(true);
    expect(lines(file).map((r) => r.n)).toEqual(Array.from({ length: QUEUE_MAX_RECORDS }, (_, i) => i + 501));
    expect(faults.cleared).toContainEqual({ file: 'rejected.jsonl', op: 'queue' });
  });

  it('rotates beyond maxBytes, keeping the newest generations, each within the cap', () => {
    const file = path.join(dir, 'rejected.jsonl');
    const log = new StateLog(file, { maxBytes: 1000, generations: 2 });
    for (let i = 1; i <= 200; i++) log.append({ n: i, pad: 'x'.repeat(30) });
    const gens = [2, 1, 0].map((n) => generationPath(file, n));
    for (const g of gens) expect(fs.statSync(g).size).toBeLessThanOrEqual(1000);
    expect(fs.existsSync(generationPath(file, 3))).toBe(false);
    const all = gens.flatMap((g) => lines(g).map((r) => r.n as number));
    // The newest records, contiguous and in order, ending with the last one.
    expect(all.at(-1)).toBe(200);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => 200 - all.length + 1 + i));
    expect(all.length).toBeGreaterThan(2 * 20);
  });

  it('truncateTo(size, id) restores the log as it was at that mark, across rotations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 1, max: 3 }),
        (pads, markAt, generations) => {
          const sub = fs.mkdtempSync(path.join(dir, 'p-'));
          const file = path.join(sub, 'rejected.jsonl');
          const log = new StateLog(file, { maxBytes: 400, generations });
          const mark = markAt % (pads.length + 1);
          // No file and an empty file are the same log.
          const contents = () => Array.from({ length: generations + 1 }, (_, n) => (fs.existsSync(generationPath(file, n)) ? fs.readFileSync(generationPath(file, n), 'utf8') : ''));
          pads.slice(0, mark).forEach((pad, i) => log.append({ i, pad: 'x'.repeat(pad) }));
          const atMark = contents();
          const size = log.size();
          const id = log.fileId();
          pads.slice(mark).forEach((pad, i) => log.append({ i: mark + i, pad: 'y'.repeat(pad) }));
          const beforeCut = contents();
          const stillThere = id === null || beforeCut.some((_, n) => fs.existsSync(generationPath(file, n)) && idOf(generationPath(file, n)) === id);
          log.truncateTo(size, id);
          if (stillThere) {
            // The marked file is current again, as it was; older generations are as they were,
            // or gone when the rotations since pushed them out.
            const after = contents();
            expect(after[0]).toBe(atMark[0]);
            after.slice(1).forEach((text, n) => expect([atMark[n + 1], '']).toContain(text));
          } else {
            expect(contents()).toEqual(beforeCut);
          }
          // And it goes on from there.
          log.append({ after: true });
          expect(lines(file).at(-1)).toEqual({ after: true });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('truncateTo(0) of the current file empties every generation', () => {
    const file = path.join(dir, 'rejected.jsonl');
    const log = new StateLog(file, { maxBytes: 200, generations: 2 });
    for (let i = 0; i < 30; i++) log.append({ i, pad: 'z'.repeat(40) });
    expect(fs.existsSync(generationPath(file, 2))).toBe(true);
    log.truncateTo(0);
    expect(fs.readdirSync(dir)).toEqual(['rejected.jsonl']);
    expect(fs.statSync(file).size).toBe(0);
  });

  it('a cut the dir refuses is done before the next append, once it can be', () => {
    const faults = recordingFaults();
    const blocker = path.join(dir, 'state');
    fs.mkdirSync(blocker);
    const file = path.join(blocker, 'rejected.jsonl');
    const log = new StateLog(file, { faults: faults.sink });
    log.append({ n: 1 });
    const size = log.size();
    log.append({ n: 2 });
    // A directory where the file was: the cut fails (EISDIR), nothing may be appended meanwhile.
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    fs.mkdirSync(file);
    log.truncateTo(size, null);
    log.append({ n: 3 });
    expect(faults.raised.map((f) => f.op)).toContain('truncate');
    fs.rmdirSync(file);
    fs.writeFileSync(file, saved);
    expect(log.retry()).toBe(true);
    expect(lines(file).map((r) => r.n)).toEqual([1, 3]);
  });
});

describe('rejectedRecord', () => {
  it('writes truncated only when the text was cut, so a short line costs only its fields', () => {
    const record = rejectedRecord({ file: 'invocations', line: 7, byteOffset: 12, reason: 'missing invocation_id' }, Buffer.from('{}'), true, '2026-11-20T10:00:00.000000Z');
    expect(JSON.stringify(record)).toBe(
      '{"at":"2026-11-20T10:00:00.000000Z","file":"agent_invocations.jsonl","line":7,"byte_offset":12,"reason":"missing invocation_id","raw":"{}"}',
    );
    expect(rejectedRecord({ file: 'metrics', line: 1, byteOffset: 0, reason: 'x' }, Buffer.from('abc'), false, 'now').truncated).toBe(true);
  });
});

function idOf(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return `${st.ino}@${st.birthtimeNs}`;
}

// ---- a real full disk --------------------------------------------------------------------------


describe.skipIf(tmpfsUnavailable !== null)(`StateLog on a full tmpfs${tmpfsUnavailable ? ` (skipped: ${tmpfsUnavailable})` : ''}`, () => {
  it('a record torn by ENOSPC is cut off, queued, and written whole once there is room', () => {
    const tmpfs = mountSmallTmpfs(64 * 1024);
    const mount = tmpfs.dir;
    try {
      const faults = recordingFaults();
      const file = path.join(mount, 'rejected.jsonl');
      const log = new StateLog(file, { faults: faults.sink });
      // Records of ~1,000 bytes do not end on the 4 KiB pages tmpfs counts: the one that meets
      // the limit is written in part, then ENOSPC.
      let n = 0;
      while (faults.raised.length === 0 && n < 200) log.append({ n: ++n, pad: 'p'.repeat(980) });
      // A write the full disk cut short returns a short count, not ENOSPC: the appender calls it ESHORTWRITE.
      expect(faults.raised[0]).toMatchObject({ file: 'rejected.jsonl', op: 'append', code: expect.stringMatching(/^(ENOSPC|ESHORTWRITE)$/) });
      // Every line whole (lines() parses each one), none glued to a fragment.
      const written = lines(file).length;
      expect(written).toBe(n - 1);
      for (let i = 0; i < 20; i++) log.append({ n: ++n, pad: 'q'.repeat(980) });
      expect(log.pending()).toBe(n - written);

      tmpfs.resize(1024 * 1024);
      expect(log.retry()).toBe(true);
      expect(lines(file).map((r) => r.n)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(faults.cleared).toContainEqual({ file: 'rejected.jsonl', op: 'append' });
      log.close();
    } finally {
      tmpfs.dispose();
    }
  });
});
