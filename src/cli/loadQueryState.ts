import path from 'node:path';
import type { Settings } from '../config.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { openState } from '../state/openState.js';
import type { QueryOpts } from './answerQuery.js';
import { decodeWorkerSetting } from './decodeWorkerSetting.js';
import { naming, noteSkipped, requireTelemetryDir } from './loadState.js';
import { parseSource } from './queryArgs.js';
import { settingsFor } from './querySettings.js';
import { oneLine } from './terminalText.js';

/** The state, from the checkpoint or a replay (of the files, or with --nats of the stream). */
export async function loadQueryState(opts: QueryOpts, settings: Settings = settingsFor(opts), whyNotDaemon: string | null = null): Promise<TelemetryState> {
  const source = parseSource(opts.source);
  const nats = settings.nats.url === null ? null : { url: settings.nats.url, stream: settings.nats.stream };
  if (nats === null) requireTelemetryDir(settings.dir);
  const followed = await openState({ dir: settings.dir, stateDir: settings.stateDir, maxLineBytes: settings.maxLineBytes, source, nats, decodeWorker: decodeWorkerSetting() });
  try {
    const state = nats === null ? naming(settings.dir, () => followed.current()) : followed.current();
    if (opts.verbose) {
      const what = nats === null ? oneLine(settings.dir) : `stream ${nats.stream} at ${oneLine(nats.url)}`;
      const inWorker = followed.decodedInWorker?.() === true ? ', decoded in a worker thread' : '';
      const from = followed.origin() === 'checkpoint' ? `from the checkpoint in ${oneLine(path.join(settings.stateDir))} and ${what}` : `by a replay of ${what}${inWorker}`;
      process.stderr.write(`oak-telemetry: answered ${from}${whyNotDaemon === null ? '' : ` (${oneLine(whyNotDaemon)})`}\n`);
    }
    if (nats === null && followed.rejectedCount() > 0) noteSkipped(settings.dir, followed.rejectedCount());
    return state;
  } finally {
    await followed.close();
  }
}
