import { orderedEntries } from '../domain/jsonText.js';
import type { AgentMatch } from '../projections/views/bestAgent.js';
import type { OverheadView } from '../projections/views/overhead.js';
import type { OpenWorkflowView } from '../projections/folds/openWorkflows.js';
import type { RankedAgent } from '../projections/views/ranking.js';
import type { RollingSuccessView } from '../projections/folds/rollingSuccess.js';
import type { AgentStatistics, StatisticsView } from '../projections/folds/statistics.js';
import type { WorkflowsView } from '../projections/folds/workflowStats.js';
import { duration, percent, plural, renderTable, toSecond } from './table.js';
import { UNLIMITED, type Layout } from './terminalLayout.js';
import { cutToWidth, oneLine } from './terminalText.js';

/** Human-readable renderings of the query answers (the --json documents are the contract). */

/** The first `limit` rows (Infinity: all) and, when some are left out, the line that says so. */
export function limited<T>(rows: readonly T[], limit: number, what: string): { rows: readonly T[]; note: string[] } {
  if (rows.length <= limit) return { rows, note: [] };
  return { rows: rows.slice(0, limit), note: [shownOf(limit, rows.length, what)] };
}

export function shownOf(shown: number, count: number, what: string): string {
  return `(${shown} of ${count} ${what} shown; --limit N for more, 0 for all)`;
}

/** Most runs first, then by name: the agents a person uses most lead the table. */
export function byRuns<T>(rows: readonly T[], runs: (row: T) => number, name: (row: T) => string): T[] {
  return [...rows].sort((a, b) => runs(b) - runs(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

/** Each distinct failure message once, in first-seen order, with how often it is listed. */
function distinctFailures(messages: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(m, (counts.get(m) ?? 0) + 1);
  return [...counts].map(([m, n]) => (n > 1 ? `${oneLine(m)} (x${n})` : oneLine(m)));
}

export function renderStats(view: StatisticsView, layout: Layout = UNLIMITED, limit = Infinity): string {
  if (view.total_invocations === 0) return 'No invocations recorded.';
  const range = view.date_range ? ` from ${toSecond(view.date_range.start)} to ${toSecond(view.date_range.end)}` : '';
  const agents = limited(
    byRuns(orderedEntries(view.agents), ([, a]) => a.invocation_count, ([name]) => name),
    limit,
    'agents',
  );
  const headers = ['Agent', 'Runs', 'Success', 'Quality', 'Avg time', 'Common task types'];
  const row = ([name, a]: [string, AgentStatistics]) => [
    name,
    a.invocation_count,
    percent(a.success_rate),
    a.average_quality > 0 ? a.average_quality.toFixed(2) : '-',
    a.average_duration_seconds > 0 ? duration(a.average_duration_seconds) : '-',
    a.common_task_types.join(', ') || '-',
  ];
  const table = layout.wide
    ? renderTable([...headers, 'Recommended'], agents.rows.map((e) => [...row(e), e[1].recommended_for.join('; ') || '-']), layout)
    : renderTable(headers, agents.rows.map(row), layout);
  const lines = [`${plural(view.total_invocations, 'invocation')}${range}`, '', table, ...agents.note];
  const failing = agents.rows.filter(([, a]) => a.common_failures.length > 0);
  if (failing.length > 0) {
    lines.push('', 'Recent failures:');
    for (const [name, a] of failing) lines.push(cutToWidth(`  ${oneLine(name)}: ${distinctFailures(a.common_failures).join('; ')}`, layout.width, layout.ellipsis));
  }
  return lines.join('\n');
}

export function renderWorkflows(view: WorkflowsView, layout: Layout = UNLIMITED): string {
  if (view.total_workflows === 0) return 'No completed workflows.';
  const lines = [
    `Completed workflows:  ${view.total_workflows}`,
    `Average duration:     ${view.avg_duration_minutes.toFixed(2)} min`,
    `Success rate:         ${percent(view.success_rate)}`,
    `Agents per workflow:  ${view.avg_agents_per_workflow.toFixed(2)}`,
  ];
  if (view.most_common_patterns.length > 0) {
    // The JSON keeps the reference's "→"; the table uses the arrow the terminal can show.
    const pattern = (p: string) => (p === '' ? '(no agents)' : p.split('→').join(` ${layout.arrow} `));
    lines.push('', renderTable(['Pattern', 'Count'], view.most_common_patterns.map((p) => [pattern(p.pattern), p.count]), layout));
  }
  return lines.join('\n');
}

export function renderOverhead(view: OverheadView): string {
  if (view.workflows_counted === 0) return `Coordination overhead: ${view.recommendation} (no completed workflow with agent time).`;
  return [
    `Coordination overhead:  ${view.coordination_overhead_pct.toFixed(2)}% of workflow time spent outside agents`,
    `Average per workflow:   ${view.avg_coordination_minutes.toFixed(2)} min (${plural(view.workflows_counted, 'workflow')})`,
    `Recommendation:         ${view.recommendation}`,
  ].join('\n');
}

export function renderRanking(ranking: readonly RankedAgent[], taskType?: string, layout: Layout = UNLIMITED, limit = Infinity): string {
  if (ranking.length === 0) return taskType ? `No agent has "${oneLine(taskType)}" among its common task types.` : 'No agents recorded.';
  const shown = limited(ranking, limit, 'agents');
  return [renderTable(['#', 'Agent', 'Score'], shown.rows.map((r, i) => [i + 1, r.agent_name, r.score.toFixed(3)]), layout), ...shown.note].join('\n');
}

export function renderBestAgents(matches: readonly AgentMatch[], layout: Layout = UNLIMITED, limit = Infinity): string {
  const shown = limited(matches, limit, 'agents');
  return [
    renderTable(
      ['Agent', 'Confidence', 'Success', 'Avg duration', 'Tasks', 'Recent trend'],
      shown.rows.map((m) => [
        m.agent_name,
        m.confidence.toFixed(3),
        percent(m.success_rate),
        m.avg_duration_minutes > 0 ? `${m.avg_duration_minutes.toFixed(1)} min` : '-',
        m.total_tasks,
        m.recent_performance,
      ]),
      layout,
    ),
    ...shown.note,
  ].join('\n');
}

export function renderOpen(open: readonly OpenWorkflowView[], layout: Layout = UNLIMITED, limit = Infinity): string {
  if (open.length === 0) return 'No open workflows.';
  const shown = limited(open, limit, 'open workflows');
  const age = (w: OpenWorkflowView) => (w.age_seconds === null ? '-' : duration(w.age_seconds));
  // The agent list is the widest cell: a count here, the names with --wide.
  const table = layout.wide
    ? renderTable(
        ['Workflow', 'Project', 'Started', 'Age', 'Agents so far', 'Running'],
        shown.rows.map((w) => [w.workflow_id, w.project ?? '-', toSecond(w.started_at), age(w), w.agents.join(', ') || '-', w.running_agent ?? '-']),
        layout,
        [2],
      )
    : renderTable(
        ['Workflow', 'Project', 'Age', 'Agents', 'Running'],
        shown.rows.map((w) => [w.workflow_id, w.project ?? '-', age(w), w.agents.length, w.running_agent ?? '-']),
        layout,
      );
  return [table, ...shown.note].join('\n');
}

export function renderAgents(agents: readonly RollingSuccessView[], window: number, layout: Layout = UNLIMITED, limit = Infinity): string {
  if (agents.length === 0) return 'No agents recorded.';
  const shown = limited(
    byRuns(agents, (a) => a.invocation_count, (a) => a.agent_name),
    limit,
    'agents',
  );
  return [
    `Success: over each agent's last ${window} decided invocations`,
    '',
    renderTable(
      ['Agent', 'Success', 'Decided', 'Runs', 'Last seen'],
      shown.rows.map((a) => [
        a.agent_name,
        a.rolling_success_rate === null ? '-' : percent(a.rolling_success_rate),
        a.window,
        a.invocation_count,
        toSecond(a.last_seen),
      ]),
      layout,
      [4],
    ),
    ...shown.note,
  ].join('\n');
}
