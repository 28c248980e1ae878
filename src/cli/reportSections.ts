import type { TelemetryState } from '../projections/folds/telemetryState.js';
import * as q from '../queries/telemetryQueries.js';
import * as render from './render.js';
import * as renderViews from './renderWorkflowViews.js';
import type { Layout } from './terminalLayout.js';

/** `limit`: how many entries each list of workflows, pairs and projects shows (reportCommand's --limit). */
export function reportSections(state: TelemetryState, nowUs: number, limit: number) {
  const views = { limit };
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

/**
 * The overview a person reads first. Every agent is listed (there are few, and they are what the
 * report is about); the other lists show `limit` entries.
 */
export function renderReport(title: string, state: TelemetryState, nowUs: number, layout: Layout, limit: number): string {
  const sections = reportSections(state, nowUs, limit);
  return [
    title,
    '',
    '== Agents ==',
    render.renderStats(sections.stats, layout),
    '',
    '== Workflows ==',
    render.renderWorkflows(sections.workflows, layout),
    '',
    '== Coordination overhead ==',
    render.renderOverhead(sections.overhead),
    '',
    '== Open workflows ==',
    render.renderOpen(sections.open_workflows, layout, limit),
    '',
    '== Hand-offs ==',
    renderViews.renderHandoffs(sections.handoffs, layout),
    '',
    '== Coordination gaps ==',
    renderViews.renderGaps(sections.gaps, layout),
    '',
    '== Estimates ==',
    renderViews.renderEstimates(sections.estimates, layout, limit),
    '',
    '== Bottlenecks ==',
    renderViews.renderBottlenecks(sections.bottlenecks, layout),
  ].join('\n');
}
