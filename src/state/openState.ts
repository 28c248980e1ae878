import type { DecodeWorkerChoice } from '../io/replayFiles.js';
import { followFiles } from './fileState.js';
import type { FollowedState, StateSource } from './followedState.js';

export interface StateSettings {
  readonly dir: string;
  readonly stateDir: string;
  readonly maxLineBytes: number;
  readonly source: StateSource;
  /** Read the JetStream stream the shippers fill instead of the files. */
  readonly nats: { readonly url: string; readonly stream: string } | null;
  /** A replay of the files: whether it decodes in a worker thread (default 'auto', see replayFiles.ts). */
  readonly decodeWorker?: DecodeWorkerChoice;
}

/**
 * The one way every surface loads the state: the files or the stream, from the checkpoint in
 * the state dir (`auto`, when it is of this log) or from the start (`replay`). The stream's
 * modules are loaded only when asked for: a file query should not pay for the NATS client.
 */
export async function openState(settings: StateSettings): Promise<FollowedState> {
  if (settings.nats === null) return followFiles(settings);
  const { followStream } = await import('./streamState.js');
  return followStream(settings.nats.url, settings.nats.stream, settings.source === 'auto' ? settings.stateDir : null);
}
