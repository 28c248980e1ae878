import { Ingest } from '../pipeline/ingest.js';
import { initialState, type TelemetryState } from '../projections/telemetryState.js';
import { connectNats, DEFAULT_STREAM, kindOfSubject } from './natsStream.js';

/**
 * A batch replay from the stream instead of the files: every message from the first to the
 * last stored when asked, in stream order, through the same decode and fold. With one host the
 * answers equal a replay of that host's files.
 */
export async function replayStream(url: string, stream: string = DEFAULT_STREAM): Promise<TelemetryState> {
  const nc = await connectNats(url);
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const last = info.state.last_seq;
    const ingest = new Ingest(initialState());
    if (info.state.messages === 0) return ingest.state;
    // An ordered consumer delivers every stored message, in order, from the first.
    const consumer = await nc.jetstream().consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 1000 });
    for await (const message of messages) {
      const kind = kindOfSubject(message.subject);
      if (kind !== null) ingest.line(kind, { bytes: null, text: message.string(), line: message.seq, byteOffset: 0 });
      if (message.seq >= last) break;
    }
    return ingest.state;
  } finally {
    await nc.close();
  }
}
