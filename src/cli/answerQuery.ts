import type { Settings } from '../config.js';
import { parseJson } from '../domain/jsonText.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { askDaemon } from './askDaemon.js';
import { printJson, printLine } from './common.js';
import { parseSource } from './queryArgs.js';
import { settingsFor, type SettingsOpts } from './querySettings.js';

export interface QueryOpts extends SettingsOpts {
  now?: string;
  json?: boolean;
  source?: string;
  verbose?: boolean;
}

/** The API route that answers the same question, with the arguments as its query parameters. */
export interface ApiQuestion {
  readonly route: string;
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** The query functions, handed to `compute` once loaded: an answer from the daemon never loads them. */
export type Queries = typeof import('../queries/telemetryQueries.js');

export interface Question<T> {
  /** null: the API has no route for it (the answer is computed here). */
  readonly api: ApiQuestion | null;
  readonly compute: (state: TelemetryState, queries: Queries) => T;
  readonly human: (view: T) => string;
}

/**
 * Answers a query: with `--source auto`, the running daemon first (its answer is the document
 * --json prints, byte for byte; a table is rendered from it as from our own), then the
 * checkpoint, then a replay. `--verbose` says on stderr which one answered. The state machinery
 * and the projections are loaded only when the daemon did not answer: that path is the one a
 * person waits on most.
 */
export async function answerQuery<T>(opts: QueryOpts, question: Question<T>, settings: Settings = settingsFor(opts)): Promise<void> {
  const source = parseSource(opts.source);
  let whyNotDaemon: string | null = null;
  if (source === 'auto' && question.api !== null) {
    const asked = await askDaemon({
      stateDir: settings.stateDir,
      follows: settings.nats.url === null ? { dir: settings.dir } : { stream: settings.nats.stream },
      token: settings.httpToken,
      route: question.api.route,
      params: question.api.params,
    });
    if (asked.ok) {
      if (opts.verbose) process.stderr.write(`oak-telemetry: answered by the daemon at ${asked.url}\n`);
      if (opts.json) process.stdout.write(asked.body);
      else printLine(question.human(parseJson(asked.body) as T));
      return;
    }
    whyNotDaemon = asked.why;
  }
  const [{ loadQueryState }, queries] = await Promise.all([import('./loadQueryState.js'), import('../queries/telemetryQueries.js')]);
  const state = await loadQueryState(opts, settings, whyNotDaemon);
  const view = question.compute(state, queries);
  if (opts.json) printJson(view);
  else printLine(question.human(view));
}
