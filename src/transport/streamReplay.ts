import { createLogger } from '../log.js';
import { Ingest } from '../pipeline/ingest.js';
import { initialState, type TelemetryState } from '../projections/telemetryState.js';
import { connectNats, DEFAULT_STREAM } from './natsStream.js';
import { StreamFeed } from './streamFeed.js';

/**
 * A batch replay from the stream instead of the files: every message stored when asked, in
 * stream order, through the same feed, decode and fold as the aggregating daemon (an ordered
 * consumer, nothing kept on the server). With one host the answers equal a replay of its files.
 */
export async function replayStream(url: string, stream: string = DEFAULT_STREAM): Promise<TelemetryState> {
  const nc = await connectNats(url);
  let feed: StreamFeed;
  try {
    feed = await StreamFeed.open(nc, { stream, durable: null, from: null, log: createLogger('silent') });
  } catch (error) {
    await nc.close();
    throw error;
  }
  try {
    const ingest = new Ingest(initialState());
    while (!feed.caughtUp()) {
      feed.drain((kind, line) => ingest.line(kind, line));
      if (!feed.caughtUp()) await feed.arrival();
    }
    return ingest.state;
  } finally {
    await feed.close();
  }
}
