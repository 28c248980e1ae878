/**
 * A daemon reads its checkpoint on libuv's pool while its modules load (prefetchCheckpoint);
 * what it restores must be what reading the file at restore time gave: the same bytes, "no
 * checkpoint" for a missing file, and the same refusal for a path that is not a regular file or
 * cannot be read, never a half-read checkpoint.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, type Checkpoint, loadCheckpoint, saveCheckpoint } from '../../src/io/checkpointStore.js';
import { prefetchCheckpoint } from '../../src/io/checkpointPrefetch.js';
import { readRegularFile } from '../../src/io/regularFile.js';
import { readToEnd, restoreState, startFresh } from '../../src/io/resume.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { stringifyJson } from '../../src/domain/jsonText.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(root, 'fixtures/parity/seed-single-workflow');
const MAX_LINE = 1024 * 1024;
const dirs = tempDirsPerTest();

function fixtureCheckpoint(): Checkpoint {
  const fresh = startFresh(fixture, MAX_LINE, {});
  expect(readToEnd(fresh)).toBe(true);
  return {
    dir: fixture,
    positions: fresh.sources.positions(),
    stream: null,
    totals: fresh.ingest.totals,
    rebuilds: 1,
    rejectedFileSize: 0,
    rejectedFileId: null,
    alertsFileSize: 0,
    activeAlerts: [],
    hookErrors: null,
    savedAt: '2026-11-01T00:00:00Z',
    state: fresh.ingest.state,
  };
}

describe('prefetchCheckpoint', () => {
  it('gives the bytes of the file, and a restore from them equals one that reads the file', async () => {
    const stateDir = dirs.make('oak-prefetch-');
    await saveCheckpoint(stateDir, fixtureCheckpoint());
    const read = await prefetchCheckpoint(stateDir);
    expect(read()!.equals(readRegularFile(path.join(stateDir, CHECKPOINT_FILE))!)).toBe(true);
    const prefetched = restoreState(stateDir, fixture, MAX_LINE, {}, read);
    const direct = restoreState(stateDir, fixture, MAX_LINE, {});
    expect(prefetched.why).toBeNull();
    expect(prefetched.checkpoint?.rebuilds).toBe(1);
    expect(stringifyJson(q.stats(prefetched.ingest.state))).toBe(stringifyJson(q.stats(direct.ingest.state)));
    expect(prefetched.checkpoint?.positions).toEqual(direct.checkpoint?.positions);
  });

  it('reads a file of several reads whole, and an empty one', async () => {
    const stateDir = dirs.make('oak-prefetch-');
    const file = path.join(stateDir, CHECKPOINT_FILE);
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    fs.writeFileSync(file, bytes);
    const read = await prefetchCheckpoint(stateDir);
    expect(read()!.equals(bytes)).toBe(true);
    fs.writeFileSync(file, '');
    expect((await prefetchCheckpoint(stateDir))()!.length).toBe(0);
  });

  it('a missing checkpoint is "no checkpoint", as a read at restore would say', async () => {
    const stateDir = path.join(dirs.make('oak-prefetch-'), 'not-made-yet');
    const read = await prefetchCheckpoint(stateDir);
    expect(read()).toBeNull();
    expect(loadCheckpoint(stateDir, fixture, false, read)).toEqual({ ok: false, why: 'no checkpoint' });
  });

  it('a directory or a FIFO in its place is refused (never read, never blocking), with the reason a read at restore gives', async () => {
    const stateDir = dirs.make('oak-prefetch-');
    const file = path.join(stateDir, CHECKPOINT_FILE);
    fs.mkdirSync(file);
    const fromDir = loadCheckpoint(stateDir, fixture, false, await prefetchCheckpoint(stateDir));
    expect(fromDir).toEqual(loadCheckpoint(stateDir, fixture));
    expect(fromDir.ok).toBe(false);
    expect(!fromDir.ok && fromDir.why).toMatch(/^checkpoint unreadable: .*directory/);
    fs.rmdirSync(file);
    try {
      execFileSync('mkfifo', [file]);
    } catch {
      console.warn('mkfifo refused here: the FIFO case is not checked');
      return;
    }
    const fromFifo = loadCheckpoint(stateDir, fixture, false, await prefetchCheckpoint(stateDir));
    expect(fromFifo.ok).toBe(false);
    expect(!fromFifo.ok && fromFifo.why).toMatch(/^checkpoint unreadable: .*FIFO/);
  });

  it('a checkpoint damaged on disk is refused from prefetched bytes too', async () => {
    const stateDir = dirs.make('oak-prefetch-');
    await saveCheckpoint(stateDir, fixtureCheckpoint());
    const file = path.join(stateDir, CHECKPOINT_FILE);
    const bytes = fs.readFileSync(file);
    const at = bytes.length >> 1;
    bytes[at] = (bytes[at] as number) ^ 0x10;
    fs.writeFileSync(file, bytes);
    const loaded = loadCheckpoint(stateDir, fixture, false, await prefetchCheckpoint(stateDir));
    expect(loaded.ok).toBe(false);
    expect(!loaded.ok && loaded.why).toMatch(/damaged/);
  });
});
