/**
 * LatestWriter: one write at a time, requests made meanwhile collapse into one, and (with
 * afterReadyIo) a write requested in a turn waits for the I/O ready by then.
 */
import { describe, expect, it } from 'vitest';
import { afterReadyIo, LatestWriter } from '../../src/io/latestWriter.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('LatestWriter', () => {
  it('requests made while a write runs collapse into one follow-up write', async () => {
    let writes = 0;
    let release: () => void = () => undefined;
    const writer = new LatestWriter(
      () => {
        writes++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      () => undefined,
    );
    writer.request();
    await turn();
    expect(writes).toBe(1);
    writer.request();
    writer.request();
    release();
    await turn();
    expect(writes).toBe(2);
    release();
    await writer.flush();
    expect(writes).toBe(2);
  });

  it('with afterReadyIo, a write requested in a turn runs after what that turn queued (an HTTP request ready meanwhile goes first)', async () => {
    const order: string[] = [];
    const writer = new LatestWriter(
      async () => {
        order.push('write');
      },
      () => undefined,
      afterReadyIo,
    );
    writer.request();
    // Stands for an I/O callback ready before the next poll: queued in the requesting turn.
    setImmediate(() => order.push('ready I/O'));
    expect(order, 'not in the requesting turn').toEqual([]);
    await writer.flush();
    expect(order).toEqual(['ready I/O', 'write']);
  });
});
