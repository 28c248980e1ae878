import { UsageError } from '../errors.js';
import { findDecodeWorker } from '../io/parallelReplay.js';
import type { DecodeWorkerChoice } from '../io/replayFiles.js';

export const DECODE_WORKER_ENV = 'OAK_TELEMETRY_DECODE_WORKER';

/**
 * $OAK_TELEMETRY_DECODE_WORKER: whether a replay of the files (validate, a query answered by
 * replay, mcp's first load) decodes in a worker thread: `auto` (unset: files of 64 MiB or more
 * on two cores or more), `never`, or `always` (whatever the size: how tests reach the worker on
 * small files). The answers are the same; only the time and CPU differ. Not a setting of the
 * config file: the daemon never replays this way.
 */
export function decodeWorkerSetting(env: NodeJS.ProcessEnv = process.env): DecodeWorkerChoice {
  const raw = env[DECODE_WORKER_ENV];
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'never') return 'never';
  if (raw === 'always') {
    const worker = findDecodeWorker();
    if (worker === null) throw new UsageError(`env ${DECODE_WORKER_ENV}=always: the decoding worker's script is not beside this build`);
    return worker;
  }
  throw new UsageError(`env ${DECODE_WORKER_ENV} must be auto, never or always, got ${JSON.stringify(raw)}`);
}
