import type { BottlenecksView } from '../projections/views/bottlenecks.js';
import type { GapsView } from '../projections/views/coordinationGaps.js';
import type { EstimatesView } from '../projections/views/estimateAccuracy.js';
import type { HandoffsView } from '../projections/views/handoffs.js';
import { limited, shownOf } from './render.js';
import { duration, percent, plural, renderTable } from './table.js';
import { UNLIMITED, type Layout } from './terminalLayout.js';

/** Human-readable renderings of the hand-off, gap, estimate and bottleneck views. */

const agentOrDash = (name: string | null): string => (name === null || name === '' ? '-' : name);
const ratio = (value: number | null): string => (value === null ? '-' : `${value.toFixed(2)}x`);
const adherence = (value: string | null): string => (value === null ? '-' : value.replaceAll('_', ' '));
const shareOrDash = (value: number | null): string => (value === null ? '-' : percent(value));
const more = (shown: number, count: number, what: string): string[] => (count > shown ? [shownOf(shown, count, what)] : []);

export function renderHandoffs(view: HandoffsView, layout: Layout = UNLIMITED): string {
  if (view.handoffs === 0 && view.workflows.count === 0) return 'No hand-offs or agent plans recorded.';
  const lines = [`${plural(view.handoffs, 'hand-off')} between ${plural(view.pairs.count, 'agent pair')}`];
  if (view.pairs.items.length > 0) {
    lines.push(
      '',
      renderTable(
        ['From', 'To', 'Hand-offs', 'Workflows', 'Artifacts', 'Succeeded'],
        view.pairs.items.map((p) => [agentOrDash(p.from_agent), agentOrDash(p.to_agent), p.handoffs, p.workflows, p.artifacts, shareOrDash(p.success_rate)]),
        layout,
      ),
      ...more(view.pairs.items.length, view.pairs.count, 'pairs'),
    );
  }
  const a = view.adherence;
  if (a.workflows > 0) {
    lines.push(
      '',
      `Plan adherence over ${plural(a.workflows, 'completed workflow')} with a plan: ` +
        `${a.same_order} as planned, ${a.reordered} reordered, ${a.skipped} skipped agents, ${a.added} added agents, ${a.skipped_and_added} both`,
    );
  }
  if (view.workflows.items.length > 0) {
    lines.push(
      '',
      'Recent workflows:',
      // The chain and the plan are the widest cells: counts here, the agents with --wide.
      layout.wide
        ? renderTable(
            ['Workflow', 'Project', 'Hand-off chain', 'Plan', 'Adherence'],
            view.workflows.items.map((w) => [
              w.workflow_id,
              w.project ?? '-',
              w.chain.map((h) => `${agentOrDash(h.from_agent)} ${layout.arrow} ${agentOrDash(h.to_agent)}`).join(', ') || '-',
              w.plan.join(', ') || '-',
              adherence(w.adherence),
            ]),
            layout,
          )
        : renderTable(
            ['Workflow', 'Project', 'Hand-offs', 'Planned', 'Adherence'],
            view.workflows.items.map((w) => [w.workflow_id, w.project ?? '-', w.chain.length, w.plan.length, adherence(w.adherence)]),
            layout,
          ),
      ...more(view.workflows.items.length, view.workflows.count, 'workflows'),
    );
  }
  return lines.join('\n');
}

export function renderGaps(view: GapsView, layout: Layout = UNLIMITED): string {
  if (view.workflows_considered === 0) return 'No workflows with invocations.';
  const c = view.coordination;
  const lines = [
    `${plural(view.transitions, 'transition')} in ${plural(view.workflows_considered, 'workflow')}`,
    c.workflows > 0
      ? `Coordination time: ${c.coordination_pct.toFixed(2)}% of start-to-complete time over ${plural(c.workflows, 'completed workflow')} ` +
        `(gaps ${duration(c.gap_seconds)}, idle before the first agent ${duration(c.idle_before_seconds)}, ` +
        `after the last ${duration(c.idle_after_seconds)}; parallel work ${duration(c.overlap_seconds)})`
      : 'Coordination time: no workflow with a start, a complete and invocations yet.',
  ];
  if (view.pairs.items.length > 0) {
    lines.push(
      '',
      renderTable(
        ['From', 'To', 'Transitions', 'Median gap', 'p90 gap', 'Total gap'],
        view.pairs.items.map((p) => [p.from_agent, p.to_agent, p.count, duration(p.median_seconds), duration(p.p90_seconds), duration(p.total_seconds)]),
        layout,
      ),
      ...more(view.pairs.items.length, view.pairs.count, 'transition pairs'),
    );
  }
  if (view.workflows.items.length > 0) {
    lines.push(
      '',
      'Workflows with the most coordination time:',
      renderTable(
        ['Workflow', 'Project', 'Coordination', 'Span', 'Gaps', 'Idle before', 'Idle after'],
        view.workflows.items.map((w) => [
          w.workflow_id,
          w.project ?? '-',
          duration(w.coordination_seconds),
          w.span_seconds === null ? '-' : duration(w.span_seconds),
          duration(w.total_gap_seconds),
          w.idle_before_seconds === null ? '-' : duration(w.idle_before_seconds),
          w.idle_after_seconds === null ? '-' : duration(w.idle_after_seconds),
        ]),
        layout,
      ),
      ...more(view.workflows.items.length, view.workflows.count, 'workflows'),
    );
  }
  return lines.join('\n');
}

export function renderEstimates(view: EstimatesView, layout: Layout = UNLIMITED, limit = Infinity): string {
  const o = view.overall;
  if (o.workflows === 0) {
    return `No completed workflow with an estimate (estimated_duration on workflow_start); ${view.completed_without_estimate} completed without one.`;
  }
  // The view lists every project; the table shows as many as --limit, like the other lists.
  const projects = limited(view.projects, limit, 'projects');
  const lines = [
    `${plural(o.workflows, 'completed workflow')} with an estimate: median ${ratio(o.median_ratio)}, p90 ${ratio(o.p90_ratio)} of the estimate; ` +
      `${shareOrDash(o.over_estimate_share)} over it, ${o.overruns} at more than 2x`,
    '',
    renderTable(
      ['Project', 'Workflows', 'Median', 'p90', 'Over estimate', 'Over 2x'],
      projects.rows.map((p) => [p.project ?? '-', p.workflows, ratio(p.median_ratio), ratio(p.p90_ratio), shareOrDash(p.over_estimate_share), p.overruns]),
      layout,
    ),
    ...projects.note,
  ];
  if (view.worst.items.length > 0) {
    lines.push(
      '',
      'Furthest over their estimate:',
      renderTable(
        ['Workflow', 'Project', 'Estimate', 'Actual', 'Ratio'],
        view.worst.items.map((w) => [w.workflow_id, w.project ?? '-', duration(w.estimate_seconds), duration(w.actual_seconds), ratio(w.ratio)]),
        layout,
      ),
    );
  }
  return lines.join('\n');
}

export function renderBottlenecks(view: BottlenecksView, layout: Layout = UNLIMITED): string {
  const o = view.over_threshold;
  // One line, like the other views, instead of four headers each saying "none".
  if (view.slow_agents.count === 0 && view.slow_transitions.count === 0 && view.failure_enders.unsuccessful_workflows === 0 && o.count === 0) {
    return `No bottlenecks: no timed invocations, transitions, unsuccessful workflows or workflows over ${o.threshold_pct}% coordination overhead.`;
  }
  const lines: string[] = [];
  lines.push('Slowest agents (duration p50 / p90):');
  lines.push(
    view.slow_agents.items.length === 0
      ? '  no invocation with a duration'
      : renderTable(
          ['Agent', 'Runs', 'p50', 'p90'],
          view.slow_agents.items.map((a) => [a.agent_name, a.invocations, duration(a.p50_seconds), duration(a.p90_seconds)]),
          layout,
        ),
  );
  lines.push('', 'Slowest hand-overs between agents (median gap):');
  lines.push(
    view.slow_transitions.items.length === 0
      ? '  no transitions'
      : renderTable(
          ['From', 'To', 'Transitions', 'Median gap', 'p90 gap'],
          view.slow_transitions.items.map((t) => [t.from_agent, t.to_agent, t.count, duration(t.median_seconds), duration(t.p90_seconds)]),
          layout,
        ),
  );
  const f = view.failure_enders;
  const such = plural(f.unsuccessful_workflows, 'such workflow');
  lines.push('', `Agents whose failure ended a workflow that completed unsuccessfully (${such}):`);
  lines.push(
    f.items.length === 0
      ? '  none'
      : renderTable(['Agent', 'Workflows', 'Share'], f.items.map((e) => [e.agent_name, e.workflows, percent(e.share)]), layout),
  );
  lines.push('', `Workflows over ${o.threshold_pct}% coordination overhead: ${o.count}`);
  if (o.items.length > 0) {
    lines.push(
      renderTable(
        ['Workflow', 'Project', 'Overhead', 'Workflow time', 'Agent time'],
        o.items.map((w) => [w.workflow_id, w.project ?? '-', `${w.overhead_pct.toFixed(2)}%`, duration(w.workflow_seconds), duration(w.agent_seconds)]),
        layout,
      ),
    );
  }
  return lines.join('\n');
}
