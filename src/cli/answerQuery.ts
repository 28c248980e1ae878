import path from 'node:path';
import type { Settings } from '../config.js';
import { parseJson } from '../domain/jsonText.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { openState } from '../state/openState.js';
import { askDaemon } from './askDaemon.js';
import { printJson, printLine } from './common.js';
import { naming, noteSkipped, parseSource, requireTelemetryDir } from './loadState.js';
import { settingsFor, type SettingsOpts } from './querySettings.js';
import { oneLine } from './terminalText.js';

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

export interface Question<T> {
  /** null: the API has no route for it (the answer is computed here). */
  readonly api: ApiQuestion | null;
  readonly compute: (state: TelemetryState) => T;
  readonly human: (view: T) => string;
}

/**
 * Answers a query: with `--source auto`, the running daemon first (its answer is the document
 * --json prints, byte for byte; a table is rendered from it as from our own), then the
 * checkpoint, then a replay. `--verbose` says on stderr which one answered.
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
      if (opts.verbose) note(`answered by the daemon at ${asked.url}`);
      if (opts.json) process.stdout.write(asked.body);
      else printLine(question.human(parseJson(asked.body) as T));
      return;
    }
    whyNotDaemon = asked.why;
  }
  const state = await loadQueryState(opts, settings, whyNotDaemon);
  const view = question.compute(state);
  if (opts.json) printJson(view);
  else printLine(question.human(view));
}

/** The state, from the checkpoint or a replay (of the files, or with --nats of the stream). */
export async function loadQueryState(opts: QueryOpts, settings: Settings = settingsFor(opts), whyNotDaemon: string | null = null): Promise<TelemetryState> {
  const source = parseSource(opts.source);
  const nats = settings.nats.url === null ? null : { url: settings.nats.url, stream: settings.nats.stream };
  if (nats === null) requireTelemetryDir(settings.dir);
  const followed = await openState({ dir: settings.dir, stateDir: settings.stateDir, maxLineBytes: settings.maxLineBytes, source, nats });
  try {
    const state = nats === null ? naming(settings.dir, () => followed.current()) : followed.current();
    if (opts.verbose) {
      const what = nats === null ? oneLine(settings.dir) : `stream ${nats.stream} at ${oneLine(nats.url)}`;
      const from = followed.origin() === 'checkpoint' ? `from the checkpoint in ${oneLine(path.join(settings.stateDir))} and ${what}` : `by a replay of ${what}`;
      note(`answered ${from}${whyNotDaemon === null ? '' : ` (${oneLine(whyNotDaemon)})`}`);
    }
    if (nats === null && followed.rejectedCount() > 0) noteSkipped(settings.dir, followed.rejectedCount());
    return state;
  } finally {
    await followed.close();
  }
}

function note(text: string): void {
  process.stderr.write(`oak-telemetry: ${text}\n`);
}
