/**
 * When the checkpointer writes a due checkpoint: encoding one blocks the event loop, so not
 * while changes keep coming, but after a quiet moment, and under steady load after at most
 * maxDelayMs anyway; never while the daemon says no (a rebuild in progress).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const saved: string[] = [];
vi.mock('../../src/io/checkpointStore.js', () => ({
  CHECKPOINT_FILE: 'checkpoint.bin',
  saveCheckpoint: async (_dir: string, data: string) => {
    saved.push(data);
  },
  saveCheckpointSync: () => undefined,
}));

const { Checkpointer } = await import('../../src/daemon/checkpointer.js');
const { StateDirWrites } = await import('../../src/daemon/stateDirWrites.js');

const QUIET_MS = 200;
const MAX_DELAY_MS = 60_000;
const INTERVAL_MS = 5000;

let now = 0;
function checkpointer() {
  const faults = { raise: () => undefined, clear: () => undefined };
  const data = () => `at ${now}` as unknown as never;
  return new Checkpointer('/nonexistent', data, new StateDirWrites('/nonexistent', faults), () => false, () => true, { quietMs: QUIET_MS, maxDelayMs: MAX_DELAY_MS, clock: () => now });
}

/** Changes every 10 ms for `ms`, the interval ticking as the pipeline does. */
async function steadyLoad(cp: ReturnType<typeof checkpointer>, ms: number, allowed: () => boolean = () => true): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    now += 10;
    cp.markChanged();
    vi.advanceTimersByTime(10);
    if (now % INTERVAL_MS === 0) cp.tick(allowed);
    await Promise.resolve();
  }
}

describe('checkpointer scheduling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    saved.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('waits while changes keep coming, and writes once they stop for the quiet time', async () => {
    const cp = checkpointer();
    await steadyLoad(cp, INTERVAL_MS * 2);
    expect(saved).toEqual([]);
    // The changes stop: the deferred tick looks again and writes after the quiet time.
    now += QUIET_MS;
    vi.advanceTimersByTime(QUIET_MS);
    await cp.settled();
    expect(saved).toEqual([`at ${INTERVAL_MS * 2 + QUIET_MS}`]);
  });

  it('under steady load writes once the max delay has passed (at its next look), not before', async () => {
    const cp = checkpointer();
    await steadyLoad(cp, MAX_DELAY_MS);
    expect(saved).toEqual([]);
    await steadyLoad(cp, INTERVAL_MS);
    await cp.settled();
    // Due since 10 ms, overdue from 60010 ms: the deferred tick's next look (every quiet time) writes it.
    expect(saved).toEqual([`at ${MAX_DELAY_MS + QUIET_MS}`]);
  });

  it('writes at once when it is already quiet at the tick, and not at all without a change', async () => {
    const cp = checkpointer();
    cp.tick();
    expect(saved).toEqual([]);
    cp.markChanged();
    now += QUIET_MS;
    cp.tick();
    await cp.settled();
    expect(saved).toEqual([`at ${QUIET_MS}`]);
  });

  it('a deferred checkpoint is not written while the daemon refuses (a rebuild), and is once it allows', async () => {
    const cp = checkpointer();
    let rebuilding = true;
    await steadyLoad(cp, INTERVAL_MS, () => !rebuilding);
    now += QUIET_MS * 5;
    vi.advanceTimersByTime(QUIET_MS * 5);
    expect(saved).toEqual([]);
    rebuilding = false;
    cp.tick(() => !rebuilding);
    await cp.settled();
    expect(saved.length).toBe(1);
  });
});
