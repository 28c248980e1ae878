import { Command, Option } from 'commander';
import { DEFAULT_MIN_CONFIDENCE, DEFAULT_TREND_DAYS } from '../queries/queryDefaults.js';
import type { AgentMatch } from '../projections/views/bestAgent.js';
import { UsageError } from '../errors.js';
import { answerQuery, type QueryOpts } from './answerQuery.js';
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
    .addOption(sourceOption())
    .option('--verbose', 'say on stderr what answered: the daemon (its URL), the checkpoint or a replay');
  for (const option of natsOptions()) command.addOption(option);
  return command;
}

function positiveInteger(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a whole number >= 1, got ${raw}`);
  return value;
}

/** A question whose only argument is --now (checked here, passed on to the daemon). */
function plain<T>(opts: QueryOpts, route: string, compute: Parameters<typeof answerQuery<T>>[1]['compute'], human: (view: T) => string): Promise<void> {
  resolveNow(opts.now);
  return answerQuery(opts, { api: { route, params: { now: opts.now } }, compute, human });
}

export function buildQueryCommands(): Command[] {
  const stats = queryCommand('stats', 'per-agent statistics: runs, success rate, quality, duration, task types, failures').action((opts: QueryOpts) =>
    plain(opts, '/api/v1/stats', (state, q) => q.stats(state), render.renderStats),
  );

  const workflows = queryCommand('workflows', 'completed workflows: count, duration, success rate, common agent patterns').action((opts: QueryOpts) =>
    plain(opts, '/api/v1/workflows', (state, q) => q.workflows(state), render.renderWorkflows),
  );

  const overhead = queryCommand('overhead', 'coordination overhead: share of workflow time not spent inside agents').action((opts: QueryOpts) =>
    plain(opts, '/api/v1/overhead', (state, q) => q.overhead(state), render.renderOverhead),
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
        human: (view) => render.renderTrend(agent, days, view),
      });
    });

  const ranking = queryCommand('ranking', 'agents ranked by 0.6 x success rate + 0.4 x quality / 5')
    .option('--task-type <type>', 'only agents with this among their common task types')
    .action((opts: QueryOpts & { taskType?: string }) => {
      resolveNow(opts.now);
      return answerQuery(opts, {
        api: { route: '/api/v1/ranking', params: { now: opts.now, task_type: opts.taskType } },
        compute: (state, q) => q.ranking(state, opts.taskType),
        human: (view) => render.renderRanking(view, opts.taskType),
      });
    });

  const bestAgent = queryCommand('best-agent', 'the agent with the best record on tasks like this one')
    .requiredOption('--task <text>', 'the task, in words')
    .option('--domain <domain>', 'prefer agents whose type or task type contains this')
    .option('--min-confidence <c>', 'lowest confidence to report (0-1)', String(DEFAULT_MIN_CONFIDENCE))
    .option('--all', 'list every agent at or above the minimum confidence')
    .action((opts: QueryOpts & { task: string; domain?: string; minConfidence: string; all?: boolean }) => {
      const minConfidence = parseNumber('--min-confidence', opts.minConfidence);
      const nowUs = resolveNow(opts.now);
      type Answer = AgentMatch[] | AgentMatch | null;
      const list = (answer: Answer) => (Array.isArray(answer) ? answer : answer === null ? [] : [answer]);
      return answerQuery<Answer>(opts, {
        api: {
          route: '/api/v1/best-agent',
          params: { now: opts.now, task: opts.task, domain: opts.domain, min_confidence: String(minConfidence), all: opts.all ? '1' : undefined },
        },
        compute: (state, q) => {
          const matches = q.bestAgents(state, { task: opts.task, domain: opts.domain, minConfidence, nowUs });
          return opts.all ? matches : (matches[0] ?? null);
        },
        human: (answer) => render.renderBestAgents(list(answer), minConfidence),
      });
    });

  const open = queryCommand('open', 'workflows started and not completed, with their agents so far').action((opts: QueryOpts) => {
    const nowUs = resolveNow(opts.now);
    return answerQuery(opts, { api: { route: '/api/v1/open', params: { now: opts.now } }, compute: (state, q) => q.open(state, nowUs), human: render.renderOpen });
  });

  const agents = queryCommand('agents', "each agent's rolling success rate over its last N decided invocations")
    .option('--window <n>', 'invocations in the rolling window (default: the rollingWindow setting, 20)')
    .action((opts: QueryOpts & { window?: string }) => {
      const settings = settingsFor(opts);
      const window = opts.window === undefined ? settings.rollingWindow : positiveInteger('--window', opts.window);
      resolveNow(opts.now);
      return answerQuery(
        opts,
        { api: { route: '/api/v1/agents', params: { now: opts.now, window: String(window) } }, compute: (state, q) => q.agents(state, window), human: (view) => render.renderAgents(view, window) },
        settings,
      );
    });

  return [stats, workflows, overhead, trends, ranking, bestAgent, open, agents];
}
