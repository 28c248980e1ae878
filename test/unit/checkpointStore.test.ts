import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CHECKPOINT_FILE,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from '../../src/io/checkpointStore.js';
import { readToEnd, resume, startFresh } from '../../src/io/resume.js';
import { stringifyJson } from '../../src/domain/jsonText.js';
import * as q from '../../src/queries/telemetryQueries.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, 'fixtures/parity/seed-single-workflow');
const MAX_LINE = 1024 * 1024;

/** The checkpoint a daemon would write after reading the fixture to its end. */
function fixtureCheckpoint(): Checkpoint {
  const fresh = startFresh(dir, MAX_LINE, {});
  expect(readToEnd(fresh)).toBe(true);
  return {
    dir,
    positions: fresh.sources.positions(),
    stream: null,
    totals: fresh.ingest.totals,
    rebuilds: 2,
    rejectedFileSize: 10,
    rejectedFileId: null,
    alertsFileSize: 20,
    activeAlerts: [],
    hookErrors: { count: 3, last: { at: '2026-11-01T00:00:00.000Z', event: 'Stop', error: 'cannot append' }, files: [{ id: '12@1700000000000000000', offset: 420 }] },
    savedAt: '2026-11-01T00:00:00Z',
    state: fresh.ingest.state,
  };
}

const checkpoint = fixtureCheckpoint();
const bytes = encodeCheckpoint(checkpoint);

let stateDir: string;
beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-checkpoint-'));
});
afterEach(() => {
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('checkpoint round trip', () => {
  it('decodes to the same header and a state that answers the same', () => {
    const loaded = decodeCheckpoint(bytes, dir);
    if (!loaded.ok) throw new Error(loaded.why);
    expect(loaded.checkpoint.positions).toEqual(checkpoint.positions);
    expect(loaded.checkpoint.totals).toEqual(checkpoint.totals);
    expect(loaded.checkpoint.totals.perSource.invocations.applied).toBeGreaterThan(0);
    const { state: _restored, ...meta } = loaded.checkpoint;
    const { state: _original, ...expectedMeta } = checkpoint;
    expect(meta).toEqual(expectedMeta);
    expect(stringifyJson(q.stats(loaded.checkpoint.state), 0)).toBe(stringifyJson(q.stats(checkpoint.state), 0));
  });

  it('saves and loads through the state dir', async () => {
    await saveCheckpoint(stateDir, checkpoint);
    const loaded = loadCheckpoint(stateDir, dir);
    expect(loaded.ok).toBe(true);
  });
});

describe('one checksum covers the whole file', () => {
  it('refuses the file after any single byte is changed, header or state', () => {
    const accepted: number[] = [];
    for (let at = 0; at < bytes.length; at++) {
      for (const mask of [0x01, 0x80]) {
        const damaged = Buffer.from(bytes);
        damaged[at] = (damaged[at] as number) ^ mask;
        const loaded = decodeCheckpoint(damaged, dir);
        if (loaded.ok) accepted.push(at);
        else expect(loaded.why).toMatch(/checksum|not a checkpoint/);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('refuses every truncation', () => {
    for (let length = 0; length < bytes.length; length++) {
      expect(decodeCheckpoint(bytes.subarray(0, length), dir).ok).toBe(false);
    }
  });

  it('an edited "applied" count is refused at resume, which then replays from the files', () => {
    const applied = checkpoint.totals.perSource.invocations.applied;
    const text = bytes.toString('latin1');
    const field = `"applied":${applied},`;
    expect(text).toContain(field);
    const edited = Buffer.from(text.replace(field, `"applied":${applied + 9000},`), 'latin1');
    fs.writeFileSync(path.join(stateDir, CHECKPOINT_FILE), edited);

    const resumed = resume(stateDir, dir, MAX_LINE, {});
    expect(resumed.checkpoint).toBeNull();
    expect(resumed.why).toMatch(/checkpoint damaged: its checksum does not match/);
    expect(readToEnd(resumed)).toBe(true);
    expect(resumed.ingest.totals.perSource.invocations.applied).toBe(applied);
  });

  it('names an older format instead of calling it damaged', () => {
    // Format 2: the same frame ending in the SHA-1 of the bytes before it.
    const body = bytes.subarray(0, bytes.length - 4);
    const headerEnd = 8 + body.readUInt32BE(4);
    const header = Buffer.from(body.subarray(8, headerEnd).toString('utf8').replace('"format":3', '"format":2'));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    const oldBody = Buffer.concat([body.subarray(0, 4), length, header, body.subarray(headerEnd)]);
    const old = Buffer.concat([oldBody, createHash('sha1').update(oldBody).digest()]);
    expect(decodeCheckpoint(old, dir)).toEqual({ ok: false, why: 'checkpoint format 2, expected 3' });
    // the same claim without its SHA-1 is damage, not an older format
    const claimed = Buffer.concat([oldBody, Buffer.alloc(20, 7)]);
    expect(decodeCheckpoint(claimed, dir)).toMatchObject({ ok: false, why: expect.stringMatching(/checksum/) });
  });
});
