import { Command, Option } from 'commander';
import { DEFAULT_MIN_CONFIDENCE, DEFAULT_TREND_DAYS } from '../queries/queryDefaults.js';
import type { AgentMatch } from '../projections/views/bestAgent.js';
import { UsageError } from '../errors.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { answerQuery, type Queries, type Question, type QueryOpts } from './answerQuery.js';
import { renderBestAgentAnswer } from './renderBestAgent.js';
import { renderTrend } from './renderTrend.js';
import { dirOption, natsOptions, parseNumber, sourceOption } from './common.js';
import { resolveNow } from './queryArgs.js';
import { settingsFor, settingsOptions } from './querySettings.js';
import * as render from './render.js';

export type { QueryOpts } from './answerQuery.js';

/** --dir, --state-dir, --config, --now, --json, --source, --verbose and --nats: the flags every query shares. */
export function queryCommand(name: string, description: string): Command {
  const command = new Command(name)
    .description(description)
    .addOption(dirOption());
  for (const option of settingsOptions()) command.addOption(option);
  command
    .addOption(new Option('--now <iso>', 'evaluate as of this time (ISO-8601; default: the clock)'))
    .option('--json', 'print one JSON document instead of a table')
    .option('--wide', 'every column (recommendations, hand-off chains, plans, agent lists) and no cut to the terminal width')
    .addOption(sourceOption())
    .option('--verbose', 'say on stderr what answered: the daemon (its URL), the checkpoint or a replay');
  for (const option of natsOptions()) command.addOption(option);
  return command;
}

/** --limit for a list the answer holds whole: the table shows the first N, the JSON all of them. */
export function listLimitOption(defaultLimit: number): Option {
  return new Option('--limit <n>', 'longest list the table shows, with the full count beside it (0: all)').default(String(defaultLimit));
}

/** A --limit value: a whole number >= 0, 0 meaning no limit (Infinity). */
export function parseLimit(raw: string): number {
  const limit = parseNumber('--limit', raw);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number >= 0, got ${raw}`);
  return limit === 0 ? Infinity : limit;
}

/** Open workflows listed when --limit is not given: the oldest are the ones to look at. */
export const DEFAULT_OPEN_LIMIT = 10;

function positiveInteger(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a whole number >= 1, got ${raw}`);
  return value;
}

/** A question whose only argument is --now (checked here, passed on to the daemon). */
function plain<T>(opts: QueryOpts, route: string, compute: Question<T>['compute'], human: Question<T>['human']): Promise<void> {
  resolveNow(opts.now);
  return answerQuery(opts, { api: { route, params: { now: opts.now } }, compute, human });
}

export function buildQueryCommands(): Command[] {
  const stats = queryCommand('stats', 'per-agent statistics: runs, success rate, quality, duration, task types, failures')
    .addOption(listLimitOption(0))
    .action((opts: QueryOpts & { limit: string }) => {
      const limit = parseLimit(opts.limit);
      return plain(opts, '/api/v1/stats', (state, q) => q.stats(state), (view, layout) => render.renderStats(view, layout, limit));
    });

  const workflows = queryCommand('workflows', 'completed workflows: count, duration, success rate, common agent patterns').action((opts: QueryOpts) =>
    plain(opts, '/api/v1/workflows', (state, q) => q.workflows(state), (view, layout) => render.renderWorkflows(view, layout)),
  );

  const overhead = queryCommand('overhead', 'coordination overhead: share of workflow time not spent inside agents').action((opts: QueryOpts) =>
    plain(opts, '/api/v1/overhead', (state, q) => q.overhead(state), (view) => render.renderOverhead(view)),
  );

  const trends = queryCommand('trends', "an agent's success rate in the last 7 days against the days before")
    .argument('<agent>', 'agent name')
    .option('--days <n>', 'length of the comparison window in days', String(DEFAULT_TREND_DAYS))
    .action((agent: string, opts: QueryOpts & { days: string }) => {
      const days = positiveInteger('--days', opts.days);
      const nowUs = resolveNow(opts.now);
      return answerQuery(opts, {
        api: { route: `/api/v1/trends/${encodeURIComponent(agent)}`, params: { now: opts.now, days: String(days) } },
        compute: (state, q) => q.trends(state, agent, days, nowUs),
        // The table also says how many runs each window holds (an empty one is not 0%).
        table: {
          api: { route: `/api/v1/trends/${encodeURIComponent(agent)}/windows`, params: { now: opts.now, days: String(days) } },
          compute: (state, q) => ({ trend: q.trends(state, agent, days, nowUs), windows: q.trendWindows(state, agent, days, nowUs) }),
          human: ({ trend, windows }) => renderTrend(agent, days, trend, windows),
        },
      });
    });

  const ranking = queryCommand('ranking', 'agents ranked by 0.6 x success rate + 0.4 x quality / 5')
    .option('--task-type <type>', 'only agents with this among their common task types')
    .addOption(listLimitOption(0))
    .action((opts: QueryOpts & { taskType?: string; limit: string }) => {
      resolveNow(opts.now);
      const limit = parseLimit(opts.limit);
      return answerQuery(opts, {
        api: { route: '/api/v1/ranking', params: { now: opts.now, task_type: opts.taskType } },
        compute: (state, q) => q.ranking(state, opts.taskType),
        human: (view, layout) => render.renderRanking(view, opts.taskType, layout, limit),
      });
    });

  const bestAgent = queryCommand('best-agent', 'the agent with the best record on tasks like this one')
    .requiredOption('--task <text>', 'the task, in words')
    .option('--domain <domain>', 'prefer agents whose type or task type contains this')
    .option('--min-confidence <c>', 'lowest confidence to report (0-1)', String(DEFAULT_MIN_CONFIDENCE))
    .option('--all', 'list every agent at or above the minimum confidence')
    .addOption(listLimitOption(0))
    .action((opts: QueryOpts & { task: string; domain?: string; minConfidence: string; all?: boolean; limit: string }) => {
      const minConfidence = parseNumber('--min-confidence', opts.minConfidence);
      const nowUs = resolveNow(opts.now);
      const limit = parseLimit(opts.limit);
      const params = { now: opts.now, task: opts.task, domain: opts.domain };
      const ask = (state: TelemetryState, q: Queries, min: number) => q.bestAgents(state, { task: opts.task, domain: opts.domain, minConfidence: min, nowUs });
      return answerQuery<AgentMatch[] | AgentMatch | null, AgentMatch[]>(opts, {
        api: { route: '/api/v1/best-agent', params: { ...params, min_confidence: String(minConfidence), all: opts.all ? '1' : undefined } },
        compute: (state, q) => {
          const matches = ask(state, q, minConfidence);
          return opts.all ? matches : (matches[0] ?? null);
        },
        // The table asks for every agent with a matching run, to name the closest when none reaches the minimum.
        table: {
          api: { route: '/api/v1/best-agent', params: { ...params, min_confidence: '0', all: '1' } },
          compute: (state, q) => ask(state, q, 0),
          human: (candidates, layout) => renderBestAgentAnswer(candidates, { minConfidence, all: opts.all === true, domain: opts.domain }, layout, limit),
        },
      });
    });

  const open = queryCommand('open', 'workflows started and not completed, with their agents so far')
    .addOption(listLimitOption(DEFAULT_OPEN_LIMIT))
    .action((opts: QueryOpts & { limit: string }) => {
      const nowUs = resolveNow(opts.now);
      const limit = parseLimit(opts.limit);
      return answerQuery(opts, {
        api: { route: '/api/v1/open', params: { now: opts.now } },
        compute: (state, q) => q.open(state, nowUs),
        human: (view, layout) => render.renderOpen(view, layout, limit),
      });
    });

  const agents = queryCommand('agents', "each agent's rolling success rate over its last N decided invocations")
    .option('--window <n>', 'invocations in the rolling window (default: the rollingWindow setting, 20)')
    .addOption(listLimitOption(0))
    .action((opts: QueryOpts & { window?: string; limit: string }) => {
      const settings = settingsFor(opts);
      const window = opts.window === undefined ? settings.rollingWindow : positiveInteger('--window', opts.window);
      resolveNow(opts.now);
      const limit = parseLimit(opts.limit);
      return answerQuery(
        opts,
        {
          api: { route: '/api/v1/agents', params: { now: opts.now, window: String(window) } },
          compute: (state, q) => q.agents(state, window),
          human: (view, layout) => render.renderAgents(view, window, layout, limit),
        },
        settings,
      );
    });

  return [stats, workflows, overhead, trends, ranking, bestAgent, open, agents];
}
