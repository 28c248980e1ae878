import type { HistoryView } from '../projections/views/runHistory.js';
import type { TimelineView } from '../projections/views/workflowTimeline.js';
import { duration, percent, renderTable } from './table.js';
import { oneLine } from './terminalText.js';

/** `history` and `timeline` for people: narrow enough for an 80-column terminal. */

/** The busiest agents of a bucket shown in its row; the JSON has every agent. */
const AGENTS_PER_ROW = 2;
/** Widest an agent name may be in a row before it is cut (with an ellipsis). */
const AGENT_NAME_WIDTH = 12;

function cut(text: string, width: number): string {
  const chars = [...oneLine(text)];
  return chars.length <= width ? chars.join('') : `${chars.slice(0, width - 1).join('')}…`;
}

function bucketLabel(start: string, hourly: boolean): string {
  return hourly ? `${start.slice(0, 10)} ${start.slice(11, 13)}h` : start.slice(0, 10);
}

export function renderHistory(view: HistoryView): string {
  if (view.buckets.length === 0) return 'No dated runs or completed workflows in this range.';
  const hourly = view.bucket === 'hour';
  const rows = view.buckets.map((b) => {
    const top = b.agent_runs
      .map((runs, i) => ({ runs, name: view.agents[i] as string }))
      .filter((a) => a.runs > 0)
      .sort((a, c) => c.runs - a.runs)
      .slice(0, AGENTS_PER_ROW)
      .map((a) => `${cut(a.name, AGENT_NAME_WIDTH)} ${a.runs}`)
      .join(', ');
    return [
      bucketLabel(b.start, hourly),
      b.runs,
      b.success_rate === null ? '-' : percent(b.success_rate),
      b.overhead_pct === null ? '-' : `${b.overhead_pct.toFixed(1)}%`,
      b.workflows_counted,
      top || '-',
    ];
  });
  const undated = view.undated_runs > 0 ? ` (${view.undated_runs} undated, left out)` : '';
  return [
    `${view.runs} runs per ${view.bucket} (UTC) from ${bucketLabel(view.from ?? '', hourly)} to ${bucketLabel(view.to ?? '', hourly)}${undated}`,
    '',
    renderTable([hourly ? 'Hour' : 'Day', 'Runs', 'Success', 'Overhead', 'Done', 'Busiest agents'], rows),
    '',
    'Overhead: of the workflows completed in the bucket (Done), as in `overhead`.',
  ].join('\n');
}

export function renderTimeline(view: TimelineView | null, workflowId: string): string {
  if (view === null) return `No workflow ${JSON.stringify(oneLine(workflowId))} in the telemetry.`;
  const secs = (value: number | null) => (value === null ? '-' : duration(value));
  const head = [
    `Workflow ${cut(view.workflow_id, 32)}${view.project === null ? '' : ` (${cut(view.project, 14)})`}: ${view.invocations} invocations`,
    `  span ${secs(view.span_seconds)}, no agent running ${secs(view.coordination_seconds)}:`,
    `  idle before ${secs(view.idle_before_seconds)}, gaps ${secs(view.total_gap_seconds)}, idle after ${secs(view.idle_after_seconds)}`,
    '',
  ];
  const rows = view.bars.map((bar) => [
    bar.start.slice(11, 19),
    cut(bar.agent_name, 24),
    bar.status,
    secs(bar.duration_seconds),
    bar.gap_before_seconds === null ? '-' : duration(bar.gap_before_seconds),
  ]);
  return [...head, renderTable(['Start', 'Agent', 'Status', 'Duration', 'Gap before'], rows)].join('\n');
}
