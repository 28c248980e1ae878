/**
 * The daemon in process (not spawned): its lifecycle over a real telemetry dir, the source
 * port, the fold, the snapshot and the checkpoint, with the answers compared with a replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../../src/cli/daemonSettings.js';
import { loadSettings } from '../../src/config.js';
import { Daemon } from '../../src/daemon.js';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import { loadCheckpoint } from '../../src/io/checkpointStore.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { capturedLog } from '../support/capturedLog.js';
import { fixtureDir, waitUntil } from '../support/daemonHarness.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();
const track = (dir: string) => dirs.track(dir);

function daemonOn(dir: string) {
  const config = loadSettings({ env: {}, flags: { dir, http: 'off', pollIntervalMs: 100, checkpointIntervalMs: 200 } });
  const { log, lines } = capturedLog();
  return { daemon: new Daemon(settingsFrom(config), log), lines, stateDir: config.stateDir };
}

const sameAsReplay = (daemon: Daemon, dir: string) => JSON.stringify(daemon.snapshot().stats) === JSON.stringify(q.stats(replayDirectory(dir).state));

describe('Daemon in process', () => {
  it('catches up, follows appends, survives a rewrite, and checkpoints what it applied', async () => {
    const dir = track(fixtureDir());
    const { daemon, lines, stateDir } = daemonOn(dir);
    await daemon.start();
    expect(lines.some((l) => l.msg === 'daemon ready: following telemetry')).toBe(true);
    expect(sameAsReplay(daemon, dir)).toBe(true);

    const invocations = path.join(dir, SOURCE_FILES.invocations);
    const first = fs.readFileSync(invocations, 'utf8').split('\n')[0] as string;
    appendLine(invocations, first.replace(/"invocation_id": "[^"]+"/, '"invocation_id": "in-process-1"'));
    await waitUntil(() => sameAsReplay(daemon, dir), 10_000, 'the append applied');

    // A rewrite in place changing a record: applied as a change, then served.
    fs.writeFileSync(invocations, fs.readFileSync(invocations, 'utf8').replace('"status": "success"', '"status": "failure"'));
    await waitUntil(() => daemon.snapshot().health.rewrites_as_changes === 1 && sameAsReplay(daemon, dir), 10_000, 'the change served');
    expect(daemon.snapshot().health.rebuilds).toBe(0);
    // One that moves records: rebuilt aside, then served.
    const moved = fs.readFileSync(invocations, 'utf8').split('\n');
    moved.unshift(...moved.splice(moved.findLastIndex((l) => l !== ''), 1));
    fs.writeFileSync(invocations, moved.join('\n'));
    await waitUntil(() => lines.some((l) => l.msg === 'rebuilt from the files') && sameAsReplay(daemon, dir), 10_000, 'the rebuild served');
    expect(daemon.snapshot().health.rebuilds).toBe(1);

    await daemon.stop();
    const cp = loadCheckpoint(stateDir, dir);
    expect(cp.ok && JSON.stringify(q.stats(cp.checkpoint.state))).toBe(JSON.stringify(q.stats(replayDirectory(dir).state)));
    expect(lines.at(-1)?.msg).toBe('daemon stopped: final snapshot and checkpoint written');
  });

  it('a stop asked during start-up ends it without going live, and writes nothing half', async () => {
    const dir = track(fixtureDir());
    const { daemon, lines } = daemonOn(dir);
    daemon.requestStop();
    await daemon.start();
    expect(lines.some((l) => l.msg === 'daemon ready: following telemetry')).toBe(false);
    await daemon.stop();
  });
});
