import { orderedEntries } from '../domain/jsonText.js';
import type { AgentMatch } from '../projections/views/bestAgent.js';
import type { OverheadView } from '../projections/views/overhead.js';
import type { OpenWorkflowView } from '../projections/folds/openWorkflows.js';
import type { RankedAgent } from '../projections/views/ranking.js';
import type { RollingSuccessView } from '../projections/folds/rollingSuccess.js';
import type { StatisticsView } from '../projections/folds/statistics.js';
import type { TrendView } from '../projections/views/agentTrends.js';
import type { WorkflowsView } from '../projections/folds/workflowStats.js';
import { duration, percent, renderTable } from './table.js';
import { oneLine } from './terminalText.js';

/** Human-readable renderings of the query answers (the --json documents are the contract). */

export function renderStats(view: StatisticsView): string {
  if (view.total_invocations === 0) return 'No invocations recorded.';
  const range = view.date_range ? ` from ${view.date_range.start} to ${view.date_range.end}` : '';
  const rows = orderedEntries(view.agents).map(([name, a]) => [
    name,
    a.invocation_count,
    percent(a.success_rate),
    a.average_quality > 0 ? a.average_quality.toFixed(2) : '-',
    a.average_duration_seconds > 0 ? duration(a.average_duration_seconds) : '-',
    a.common_task_types.join(', ') || '-',
    a.recommended_for.join('; ') || '-',
  ]);
  return [
    `${view.total_invocations} invocations${range}`,
    '',
    renderTable(['Agent', 'Runs', 'Success', 'Quality', 'Avg duration', 'Common task types', 'Recommended'], rows),
  ].join('\n');
}

export function renderWorkflows(view: WorkflowsView): string {
  if (view.total_workflows === 0) return 'No completed workflows.';
  const lines = [
    `Completed workflows:  ${view.total_workflows}`,
    `Average duration:     ${view.avg_duration_minutes.toFixed(2)} min`,
    `Success rate:         ${percent(view.success_rate)}`,
    `Agents per workflow:  ${view.avg_agents_per_workflow.toFixed(2)}`,
  ];
  if (view.most_common_patterns.length > 0) {
    lines.push('', renderTable(['Pattern', 'Count'], view.most_common_patterns.map((p) => [p.pattern || '(no agents)', p.count])));
  }
  return lines.join('\n');
}

export function renderOverhead(view: OverheadView): string {
  if (view.workflows_counted === 0) return `Coordination overhead: ${view.recommendation} (no completed workflow with agent time).`;
  return [
    `Coordination overhead:  ${view.coordination_overhead_pct.toFixed(2)}% of workflow time spent outside agents`,
    `Average per workflow:   ${view.avg_coordination_minutes.toFixed(2)} min (${view.workflows_counted} workflows)`,
    `Recommendation:         ${view.recommendation}`,
  ].join('\n');
}

export function renderTrend(agent: string, days: number, view: TrendView): string {
  if (view.trend === 'insufficient_data') return `${oneLine(agent)}: insufficient data (fewer than 2 invocations).`;
  const sign = view.success_rate_change > 0 ? '+' : '';
  return [
    `${oneLine(agent)}: ${view.trend}`,
    `  last 7 days:        ${percent(view.recent_success_rate)} success`,
    `  7 to ${days} days ago: ${percent(view.historical_success_rate)} success`,
    `  change:             ${sign}${(view.success_rate_change * 100).toFixed(1)} points`,
  ].join('\n');
}

export function renderRanking(ranking: readonly RankedAgent[], taskType?: string): string {
  if (ranking.length === 0) return taskType ? `No agent has "${oneLine(taskType)}" among its common task types.` : 'No agents recorded.';
  return renderTable(
    ['#', 'Agent', 'Score'],
    ranking.map((r, i) => [i + 1, r.agent_name, r.score.toFixed(3)]),
  );
}

export function renderBestAgents(matches: readonly AgentMatch[], minConfidence: number): string {
  if (matches.length === 0) return `No agent reaches confidence ${minConfidence} for this task.`;
  return renderTable(
    ['Agent', 'Confidence', 'Success', 'Avg duration', 'Tasks', 'Recent trend'],
    matches.map((m) => [
      m.agent_name,
      m.confidence.toFixed(3),
      percent(m.success_rate),
      m.avg_duration_minutes > 0 ? `${m.avg_duration_minutes.toFixed(1)} min` : '-',
      m.total_tasks,
      m.recent_performance,
    ]),
  );
}

export function renderOpen(open: readonly OpenWorkflowView[]): string {
  if (open.length === 0) return 'No open workflows.';
  return renderTable(
    ['Workflow', 'Project', 'Started', 'Age', 'Agents so far', 'Running'],
    open.map((w) => [
      w.workflow_id,
      w.project ?? '-',
      w.started_at,
      w.age_seconds === null ? '-' : duration(w.age_seconds),
      w.agents.join(', ') || '-',
      w.running_agent ?? '-',
    ]),
  );
}

export function renderAgents(agents: readonly RollingSuccessView[], window: number): string {
  if (agents.length === 0) return 'No agents recorded.';
  return renderTable(
    ['Agent', `Success (last ${window})`, 'Decided', 'Runs', 'Last seen'],
    agents.map((a) => [
      a.agent_name,
      a.rolling_success_rate === null ? '-' : percent(a.rolling_success_rate),
      a.window,
      a.invocation_count,
      a.last_seen,
    ]),
  );
}
