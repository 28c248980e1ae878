import type { SourceKind } from '../domain/sources.js';
import { streamOrigin } from '../domain/streamPosition.js';
import type { RawLine } from '../pipeline/splitLines.js';
import { loadCheckpoint } from '../io/checkpointStore.js';
import { createLogger } from '../log.js';
import { Ingest } from '../pipeline/ingest.js';
import { initialState, type TelemetryState } from '../projections/folds/telemetryState.js';
import { connectNats, DEFAULT_STREAM } from '../transport/natsStream.js';
import { StreamFeed } from '../transport/streamFeed.js';
import type { FollowedState } from './followedState.js';

/**
 * Follows the stream through the same feed, decode and fold as the aggregating daemon, with an
 * ephemeral consumer (removed by the server when idle). With `stateDir`, starts from the aggregator's
 * checkpoint there when it is of this stream (as `--source auto` does for files); otherwise from
 * the first message. Resolves once everything stored when asked has been applied.
 */
export async function followStream(url: string, stream: string = DEFAULT_STREAM, stateDir: string | null = null): Promise<FollowedState> {
  const loaded = stateDir === null ? null : loadCheckpoint(stateDir, streamOrigin(stream));
  const checkpoint = loaded?.ok === true && loaded.checkpoint.stream ? loaded.checkpoint : null;
  const nc = await connectNats(url);
  let feed: StreamFeed;
  try {
    feed = await StreamFeed.open(nc, { stream, durable: null, from: checkpoint?.stream ?? null, log: createLogger('silent') });
  } catch (error) {
    await nc.close();
    throw error;
  }
  const fromCheckpoint = checkpoint !== null && feed.reset === null;
  const ingest = new Ingest(fromCheckpoint ? checkpoint.state : initialState());
  const apply = (kind: SourceKind, line: RawLine) => ingest.line(kind, line);
  await feed.catchUp(apply);
  return {
    current() {
      feed.drain(apply);
      return ingest.state;
    },
    origin: () => (fromCheckpoint ? 'checkpoint' : 'replay'),
    rejectedCount: () => ingest.rejectedCount,
    close: () => feed.close(),
  };
}
