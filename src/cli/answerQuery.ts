import type { Settings } from '../config.js';
import { parseJson } from '../domain/jsonText.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { askDaemon } from './askDaemon.js';
import { printJson, printLine } from './common.js';
import { parseSource } from './queryArgs.js';
import { settingsFor, type SettingsOpts } from './querySettings.js';
import { layoutFor, type Layout } from './terminalLayout.js';
import { wrapLines } from './terminalText.js';

export interface QueryOpts extends SettingsOpts {
  now?: string;
  json?: boolean;
  source?: string;
  verbose?: boolean;
  wide?: boolean;
}

/** The API route that answers the same question, with the arguments as its query parameters. */
export interface ApiQuestion {
  readonly route: string;
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** The query functions, handed to `compute` once loaded: an answer from the daemon never loads them. */
export type Queries = typeof import('../queries/telemetryQueries.js');

/** What --json prints. */
export interface JsonQuestion<T> {
  /** null: the API has no route for it (the answer is computed here). */
  readonly api: ApiQuestion | null;
  readonly compute: (state: TelemetryState, queries: Queries) => T;
}

export interface Question<T> extends JsonQuestion<T> {
  readonly human: (view: T, layout: Layout) => string;
}

/** A question whose table needs more than its --json document holds: the table asks `table` instead. */
export interface QuestionWithTable<T, U> extends JsonQuestion<T> {
  readonly table: Question<U>;
}

/**
 * Answers a query: with `--source auto`, the running daemon first (its answer is the document
 * --json prints, byte for byte; a table is rendered from it as from our own), then the
 * checkpoint, then a replay. `--verbose` says on stderr which one answered. The state machinery
 * and the projections are loaded only when the daemon did not answer: that path is the one a
 * person waits on most.
 */
export async function answerQuery<T, U = T>(
  opts: QueryOpts,
  asked: Question<T> | QuestionWithTable<T, U>,
  settings: Settings = settingsFor(opts),
): Promise<void> {
  if ('table' in asked) return opts.json ? answer({ ...opts, json: true }, asked, settings) : answer(opts, asked.table, settings);
  return answer(opts, asked, settings);
}

/** `question.human` is called only without --json. */
async function answer<T>(opts: QueryOpts, question: JsonQuestion<T> & Partial<Question<T>>, settings: Settings): Promise<void> {
  const layout = layoutFor(opts);
  const show = (view: T) => printLine(wrapLines(question.human?.(view, layout) ?? '', layout.width).join('\n'));
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
      else show(parseJson(asked.body) as T);
      return;
    }
    whyNotDaemon = asked.why;
  }
  const [{ loadQueryState }, queries] = await Promise.all([import('./loadQueryState.js'), import('../queries/telemetryQueries.js')]);
  const state = await loadQueryState(opts, settings, whyNotDaemon);
  const view = question.compute(state, queries);
  if (opts.json) printJson(view);
  else show(view);
}
