import type { Command } from 'commander';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import * as q from '../queries/telemetryQueries.js';
import { loadQueryState } from './answerQuery.js';
import { printJson, printLine } from './common.js';
import { resolveNow } from './loadState.js';
import { queryCommand, type QueryOpts } from './queryCommands.js';
import { settingsFor } from './querySettings.js';
import * as render from './render.js';
import { oneLine } from './terminalText.js';
import * as renderViews from './renderWorkflowViews.js';

/** How many entries each list of the hand-off, gap, estimate and bottleneck sections shows. */
const REPORT_LIMIT = 5;

export function reportSections(state: TelemetryState, nowUs: number) {
  const views = { limit: REPORT_LIMIT };
  return {
    stats: q.stats(state),
    workflows: q.workflows(state),
    overhead: q.overhead(state),
    open_workflows: q.open(state, nowUs),
    agents: q.agents(state),
    handoffs: q.handoffs(state, views),
    gaps: q.gaps(state, views),
    estimates: q.estimates(state, views),
    bottlenecks: q.bottlenecks(state, views),
  };
}

/** The overview a person reads first. */
export function renderReport(title: string, state: TelemetryState, nowUs: number): string {
  const sections = reportSections(state, nowUs);
  return [
    title,
    '',
    '== Agents ==',
    render.renderStats(sections.stats),
    '',
    '== Workflows ==',
    render.renderWorkflows(sections.workflows),
    '',
    '== Coordination overhead ==',
    render.renderOverhead(sections.overhead),
    '',
    '== Open workflows ==',
    render.renderOpen(sections.open_workflows),
    '',
    '== Hand-offs ==',
    renderViews.renderHandoffs(sections.handoffs),
    '',
    '== Coordination gaps ==',
    renderViews.renderGaps(sections.gaps),
    '',
    '== Estimates ==',
    renderViews.renderEstimates(sections.estimates),
    '',
    '== Bottlenecks ==',
    renderViews.renderBottlenecks(sections.bottlenecks),
  ].join('\n');
}

export function buildReportCommand(): Command {
  return queryCommand(
    'report',
    'readable overview: agent table, workflows, coordination overhead with its recommendation, open workflows, hand-offs, gaps, estimates, bottlenecks (--json: one document with every section)',
  ).action(async (opts: QueryOpts) => {
    const nowUs = resolveNow(opts.now);
    // No API route holds the whole report: it is computed here, from the checkpoint or a replay.
    const settings = settingsFor(opts);
    const dir = settings.nats.url ?? settings.dir;
    const state = await loadQueryState(opts, settings);
    if (opts.json) printJson(reportSections(state, nowUs));
    else printLine(renderReport(`oak-telemetry report for ${oneLine(dir)}`, state, nowUs));
  });
}
