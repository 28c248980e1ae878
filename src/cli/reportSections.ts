import type { TelemetryState } from '../projections/folds/telemetryState.js';
import * as q from '../queries/telemetryQueries.js';
import * as render from './render.js';
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
