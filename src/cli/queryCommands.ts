import { Command, Option } from 'commander';
import * as q from '../queries/telemetryQueries.js';
import { DEFAULT_WINDOW } from '../projections/rollingSuccess.js';
import { UsageError } from '../errors.js';
import { dirOption, parseNumber, printJson, printLine, resolveDir, sourceOption } from './common.js';
import { loadState, parseSource, resolveNow } from './loadState.js';
import * as render from './render.js';

interface CommonOpts {
  dir?: string;
  now?: string;
  json?: boolean;
  source?: string;
}

/** --dir, --now and --json: the flags every query shares. */
function queryCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(dirOption())
    .addOption(new Option('--now <iso>', 'evaluate as of this time (ISO-8601; default: the clock)'))
    .option('--json', 'print one JSON document instead of a table')
    .addOption(sourceOption());
}

function load(opts: CommonOpts) {
  return loadState(resolveDir(opts.dir), parseSource(opts.source));
}

function output(opts: CommonOpts, value: unknown, human: () => string): void {
  if (opts.json) printJson(value);
  else printLine(human());
}

function positiveInteger(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a whole number >= 1, got ${raw}`);
  return value;
}

export function buildQueryCommands(): Command[] {
  const stats = queryCommand('stats', 'per-agent statistics: runs, success rate, quality, duration, task types, failures').action(
    (opts: CommonOpts) => {
      resolveNow(opts.now);
      const state = load(opts);
      const view = q.stats(state);
      output(opts, view, () => render.renderStats(view));
    },
  );

  const workflows = queryCommand('workflows', 'completed workflows: count, duration, success rate, common agent patterns').action(
    (opts: CommonOpts) => {
      resolveNow(opts.now);
      const view = q.workflows(load(opts));
      output(opts, view, () => render.renderWorkflows(view));
    },
  );

  const overhead = queryCommand('overhead', 'coordination overhead: share of workflow time not spent inside agents').action(
    (opts: CommonOpts) => {
      resolveNow(opts.now);
      const view = q.overhead(load(opts));
      output(opts, view, () => render.renderOverhead(view));
    },
  );

  const trends = queryCommand('trends', "an agent's success rate in the last 7 days against the days before")
    .argument('<agent>', 'agent name')
    .option('--days <n>', 'length of the comparison window in days', String(q.DEFAULT_TREND_DAYS))
    .action((agent: string, opts: CommonOpts & { days: string }) => {
      const days = positiveInteger('--days', opts.days);
      const nowUs = resolveNow(opts.now);
      const view = q.trends(load(opts), agent, days, nowUs);
      output(opts, view, () => render.renderTrend(agent, days, view));
    });

  const ranking = queryCommand('ranking', 'agents ranked by 0.6 x success rate + 0.4 x quality / 5')
    .option('--task-type <type>', 'only agents with this among their common task types')
    .action((opts: CommonOpts & { taskType?: string }) => {
      resolveNow(opts.now);
      const view = q.ranking(load(opts), opts.taskType);
      output(opts, view, () => render.renderRanking(view, opts.taskType));
    });

  const bestAgent = queryCommand('best-agent', 'the agent with the best record on tasks like this one')
    .requiredOption('--task <text>', 'the task, in words')
    .option('--domain <domain>', 'prefer agents whose type or task type contains this')
    .option('--min-confidence <c>', 'lowest confidence to report (0-1)', String(q.DEFAULT_MIN_CONFIDENCE))
    .option('--all', 'list every agent at or above the minimum confidence')
    .action((opts: CommonOpts & { task: string; domain?: string; minConfidence: string; all?: boolean }) => {
      const minConfidence = parseNumber('--min-confidence', opts.minConfidence);
      const nowUs = resolveNow(opts.now);
      const state = load(opts);
      const matches = q.bestAgents(state, { task: opts.task, domain: opts.domain, minConfidence, nowUs });
      const shown = opts.all ? matches : matches.slice(0, 1);
      output(opts, opts.all ? matches : (matches[0] ?? null), () => render.renderBestAgents(shown, minConfidence));
    });

  const open = queryCommand('open', 'workflows started and not completed, with their agents so far').action((opts: CommonOpts) => {
    const nowUs = resolveNow(opts.now);
    const view = q.open(load(opts), nowUs);
    output(opts, view, () => render.renderOpen(view));
  });

  const agents = queryCommand('agents', "each agent's rolling success rate over its last N decided invocations")
    .option('--window <n>', 'invocations in the rolling window', String(DEFAULT_WINDOW))
    .action((opts: CommonOpts & { window: string }) => {
      const window = positiveInteger('--window', opts.window);
      resolveNow(opts.now);
      const view = q.agents(load(opts), window);
      output(opts, view, () => render.renderAgents(view, window));
    });

  return [stats, workflows, overhead, trends, ranking, bestAgent, open, agents];
}
