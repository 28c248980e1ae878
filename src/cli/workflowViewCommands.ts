import type { Command } from 'commander';
import { parseTimestampUs } from '../domain/time.js';
import { UsageError } from '../errors.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import type { WorkflowFilter } from '../projections/views/workflowFilter.js';
import { answerQuery, type Queries } from './answerQuery.js';
import { parseNumber } from './common.js';
import { resolveNow } from './queryArgs.js';
import { queryCommand, type QueryOpts } from './queryCommands.js';
import { settingsFor } from './querySettings.js';
import * as render from './renderWorkflowViews.js';
import type { Layout } from './terminalLayout.js';

/** handoffs, gaps, estimates, bottlenecks: the workflow views, with --project, --since and --limit. */

interface ViewOpts extends QueryOpts {
  project?: string;
  since?: string;
  limit: string;
}

export const DEFAULT_LIMIT = 10;

/** The options every query has, plus the workflow filters and the list length. */
function viewCommand(name: string, description: string): Command {
  return queryCommand(name, description)
    .option('--project <name>', 'only workflows of this project (project_name of their start)')
    .option('--since <iso>', 'only workflows started (or, without a start, completed) at or after this time')
    .option('--limit <n>', 'longest list shown, with the full count beside it (0: all)', String(DEFAULT_LIMIT));
}

/** The filter and list length a view command was given. */
export function viewArgs(opts: Pick<ViewOpts, 'project' | 'since' | 'limit'>): { filter: WorkflowFilter; limit: number } {
  let sinceUs: number | undefined;
  if (opts.since !== undefined) {
    sinceUs = parseTimestampUs(opts.since);
    if (Number.isNaN(sinceUs)) throw new UsageError(`--since must be an ISO-8601 time, got ${JSON.stringify(opts.since)}`);
  }
  const limit = parseNumber('--limit', opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number >= 0, got ${opts.limit}`);
  return { filter: { project: opts.project, sinceUs }, limit: limit === 0 ? Infinity : limit };
}

function run<T>(
  name: string,
  opts: ViewOpts,
  ask: (state: TelemetryState, args: ReturnType<typeof viewArgs>, queries: Queries) => T,
  show: (view: T, layout: Layout, args: ReturnType<typeof viewArgs>) => string,
  extra: Record<string, string> = {},
  settings = settingsFor(opts),
): Promise<void> {
  resolveNow(opts.now);
  const args = viewArgs(opts);
  const params = { now: opts.now, project: opts.project, since: opts.since, limit: String(args.limit === Infinity ? 0 : args.limit), ...extra };
  return answerQuery(opts, { api: { route: `/api/v1/${name}`, params }, compute: (state, queries) => ask(state, args, queries), human: (view, layout) => show(view, layout, args) }, settings);
}

export function buildWorkflowViewCommands(): Command[] {
  const handoffs = viewCommand('handoffs', 'hand-offs between agents per pair, each workflow\'s chain, and plan adherence').action((opts: ViewOpts) =>
    run('handoffs', opts, (state, args, q) => q.handoffs(state, args), (view, layout) => render.renderHandoffs(view, layout)),
  );
  const gaps = viewCommand('gaps', 'coordination gaps: time between one agent ending and the next starting, per transition and workflow').action(
    (opts: ViewOpts) => run('gaps', opts, (state, args, q) => q.gaps(state, args), (view, layout) => render.renderGaps(view, layout)),
  );
  const estimates = viewCommand('estimates', 'workflow duration against its estimate: overall, per project, the worst').action((opts: ViewOpts) =>
    run('estimates', opts, (state, args, q) => q.estimates(state, args), (view, layout, args) => render.renderEstimates(view, layout, args.limit)),
  );
  const bottlenecks = viewCommand('bottlenecks', 'slow agents, slow hand-overs, failures that end workflows, workflows over the overhead threshold')
    .option('--threshold <pct>', 'coordination overhead threshold, percent (default: the alerts.overhead.thresholdPct setting, 30)')
    .action((opts: ViewOpts & { threshold?: string }) => {
      const settings = settingsFor(opts);
      const thresholdPct = opts.threshold === undefined ? settings.alerts.overhead.thresholdPct : parseNumber('--threshold', opts.threshold);
      if (thresholdPct < 0 || thresholdPct > 100) throw new UsageError(`--threshold must be between 0 and 100, got ${opts.threshold}`);
      return run('bottlenecks', opts, (state, args, q) => q.bottlenecks(state, { ...args, thresholdPct }), (view, layout) => render.renderBottlenecks(view, layout), { threshold: String(thresholdPct) }, settings);
    });
  return [handoffs, gaps, estimates, bottlenecks];
}
