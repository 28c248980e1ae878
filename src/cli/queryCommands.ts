import { Command, Option } from 'commander';
import * as q from '../queries/telemetryQueries.js';
import { DEFAULT_WINDOW } from '../projections/folds/rollingSuccess.js';
import { UsageError } from '../errors.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { dirOption, natsOptions, parseNumber, printJson, printLine, resolveDir, sourceOption } from './common.js';
import { loadState, parseSource, resolveNow } from './loadState.js';
import * as render from './render.js';

export interface QueryOpts {
  dir?: string;
  now?: string;
  json?: boolean;
  source?: string;
  nats?: string;
  stream?: string;
}

/** --dir, --now, --json, --source and --nats: the flags every query shares. */
export function queryCommand(name: string, description: string): Command {
  const command = new Command(name)
    .description(description)
    .addOption(dirOption())
    .addOption(new Option('--now <iso>', 'evaluate as of this time (ISO-8601; default: the clock)'))
    .option('--json', 'print one JSON document instead of a table')
    .addOption(sourceOption());
  for (const option of natsOptions()) command.addOption(option);
  return command;
}

/** The state to answer from: the files (checkpoint or replay), or the JetStream stream with --nats. */
export async function loadFor(opts: QueryOpts): Promise<TelemetryState> {
  if (opts.nats !== undefined) {
    const { replayStream } = await import('../transport/streamReplay.js');
    return replayStream(opts.nats, opts.stream);
  }
  return loadState(resolveDir(opts.dir), parseSource(opts.source));
}

const load = loadFor;

function output(opts: QueryOpts, value: unknown, human: () => string): void {
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
    async (opts: QueryOpts) => {
      resolveNow(opts.now);
      const state = await load(opts);
      const view = q.stats(state);
      output(opts, view, () => render.renderStats(view));
    },
  );

  const workflows = queryCommand('workflows', 'completed workflows: count, duration, success rate, common agent patterns').action(
    async (opts: QueryOpts) => {
      resolveNow(opts.now);
      const view = q.workflows(await load(opts));
      output(opts, view, () => render.renderWorkflows(view));
    },
  );

  const overhead = queryCommand('overhead', 'coordination overhead: share of workflow time not spent inside agents').action(
    async (opts: QueryOpts) => {
      resolveNow(opts.now);
      const view = q.overhead(await load(opts));
      output(opts, view, () => render.renderOverhead(view));
    },
  );

  const trends = queryCommand('trends', "an agent's success rate in the last 7 days against the days before")
    .argument('<agent>', 'agent name')
    .option('--days <n>', 'length of the comparison window in days', String(q.DEFAULT_TREND_DAYS))
    .action(async (agent: string, opts: QueryOpts & { days: string }) => {
      const days = positiveInteger('--days', opts.days);
      const nowUs = resolveNow(opts.now);
      const view = q.trends(await load(opts), agent, days, nowUs);
      output(opts, view, () => render.renderTrend(agent, days, view));
    });

  const ranking = queryCommand('ranking', 'agents ranked by 0.6 x success rate + 0.4 x quality / 5')
    .option('--task-type <type>', 'only agents with this among their common task types')
    .action(async (opts: QueryOpts & { taskType?: string }) => {
      resolveNow(opts.now);
      const view = q.ranking(await load(opts), opts.taskType);
      output(opts, view, () => render.renderRanking(view, opts.taskType));
    });

  const bestAgent = queryCommand('best-agent', 'the agent with the best record on tasks like this one')
    .requiredOption('--task <text>', 'the task, in words')
    .option('--domain <domain>', 'prefer agents whose type or task type contains this')
    .option('--min-confidence <c>', 'lowest confidence to report (0-1)', String(q.DEFAULT_MIN_CONFIDENCE))
    .option('--all', 'list every agent at or above the minimum confidence')
    .action(async (opts: QueryOpts & { task: string; domain?: string; minConfidence: string; all?: boolean }) => {
      const minConfidence = parseNumber('--min-confidence', opts.minConfidence);
      const nowUs = resolveNow(opts.now);
      const state = await load(opts);
      const matches = q.bestAgents(state, { task: opts.task, domain: opts.domain, minConfidence, nowUs });
      const shown = opts.all ? matches : matches.slice(0, 1);
      output(opts, opts.all ? matches : (matches[0] ?? null), () => render.renderBestAgents(shown, minConfidence));
    });

  const open = queryCommand('open', 'workflows started and not completed, with their agents so far').action(async (opts: QueryOpts) => {
    const nowUs = resolveNow(opts.now);
    const view = q.open(await load(opts), nowUs);
    output(opts, view, () => render.renderOpen(view));
  });

  const agents = queryCommand('agents', "each agent's rolling success rate over its last N decided invocations")
    .option('--window <n>', 'invocations in the rolling window', String(DEFAULT_WINDOW))
    .action(async (opts: QueryOpts & { window: string }) => {
      const window = positiveInteger('--window', opts.window);
      resolveNow(opts.now);
      const view = q.agents(await load(opts), window);
      output(opts, view, () => render.renderAgents(view, window));
    });

  return [stats, workflows, overhead, trends, ranking, bestAgent, open, agents];
}
