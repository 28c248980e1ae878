/**
 * A real daemon following a telemetry dir that something else writes (`receive --otlp`, a
 * tracing processor). Started before anything is written, it folds the records live as they
 * are appended; at the end its snapshot, and its API's stats, workflows and hand-offs, must
 * equal a batch replay of the dir: the live path and the replay give one answer.
 */
import path from 'node:path';
import { expect } from 'vitest';
import type { Snapshot } from '../../src/queries/snapshot.js';
import { runCliJson } from './cliRunner.js';
import { type DaemonProcess, startDaemon, waitForReplayParity } from './daemonHarness.js';

export interface FollowingDaemon {
  readonly daemon: DaemonProcess;
  /** http://127.0.0.1:PORT/ of its API. */
  readonly api: string;
}

/** The API routes compared with the CLI's replay of the dir. */
export const PARITY_ROUTES = ['stats', 'workflows', 'handoffs'] as const;

/**
 * Starts `oak-telemetry daemon` on `dir` with its API on a free loopback port. Its state goes in
 * a dot-dir of its own inside `dir` (removed with it; neither the daemon nor a replay reads
 * other files there), apart from the .oak-telemetry a receiver or the CLI may use.
 */
export async function startFollowingDaemon(dir: string): Promise<FollowingDaemon> {
  const daemon = await startDaemon({ dir, stateDir: path.join(dir, '.following-daemon'), http: '127.0.0.1:0' });
  return { daemon, api: await daemon.httpUrl(5000) };
}

/**
 * Waits until the daemon's snapshot equals a replay of the dir as it is now (so call it once
 * everything is written), checks that its API answers as `--source replay` does, and stops it.
 */
export async function expectDaemonEqualsReplay(following: FollowingDaemon): Promise<Snapshot> {
  const { daemon, api } = following;
  const { snapshot } = await waitForReplayParity(daemon);
  for (const route of PARITY_ROUTES) {
    const res = await fetch(`${api}api/v1/${route}`);
    expect(res.status, `GET /api/v1/${route}`).toBe(200);
    expect(await res.json(), `GET /api/v1/${route} against the CLI's replay`).toEqual(runCliJson([route, '--dir', daemon.dir, '--source', 'replay']));
  }
  await daemon.stop();
  return snapshot;
}
