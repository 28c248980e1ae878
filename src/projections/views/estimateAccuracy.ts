import { pyRound } from '../../domain/pyRound.js';
import type { LedgerState } from '../folds/ledger.js';
import { medianOfSorted, quantileOfSorted, sortedCopy } from '../../domain/quantiles.js';
import { byText } from '../../domain/byText.js';
import { topBy } from './topBy.js';
import { OVERRUN_RATIO, projectOf, type WorkflowDetailsState } from '../folds/workflowDetails.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';
import { type WorkflowFilter, workflowPredicate } from './workflowFilter.js';

/**
 * Estimate accuracy: for workflows whose start gave an estimated_duration (> 0) and that
 * completed, ratio = the complete's duration_seconds / the estimate. Overall and per project:
 * how many, the median and p90 ratio (exact), the share over estimate (ratio > 1), and the
 * worst workflows.
 */

export interface RatioSummary {
  workflows: number;
  median_ratio: number | null;
  p90_ratio: number | null;
  over_estimate_share: number | null;
  overruns: number;
}

export interface EstimatedWorkflow {
  workflow_id: string;
  project: string | null;
  estimate_seconds: number;
  actual_seconds: number;
  ratio: number;
}

export interface EstimatesView {
  overall: RatioSummary;
  projects: Array<{ project: string | null } & RatioSummary>;
  worst: { count: number; items: EstimatedWorkflow[] };
  /** Completed workflows without a usable estimate (none, or not above 0). */
  completed_without_estimate: number;
}

interface Estimated {
  readonly ref: number;
  readonly estimate: number;
  readonly actual: number;
  readonly ratio: number;
}

/** Every completed workflow with an estimate > 0 that passes the filter. */
export function estimatedWorkflows(
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  workflows: number,
  filter: WorkflowFilter = {},
): { estimated: Estimated[]; withoutEstimate: number } {
  const keep = workflowPredicate(filter, details, timings);
  const estimated: Estimated[] = [];
  let withoutEstimate = 0;
  for (let ref = 0; ref < workflows; ref++) {
    const actual = timings.completeDuration.get(ref);
    if (Number.isNaN(actual) || !keep(ref)) continue;
    const estimate = details.estimate.get(ref);
    if (!(estimate > 0)) {
      withoutEstimate++;
      continue;
    }
    estimated.push({ ref, estimate, actual, ratio: actual / estimate });
  }
  return { estimated, withoutEstimate };
}

/**
 * The summary of `n` ratios from their unrounded median and p90 and how many are over 1 and over
 * OVERRUN_RATIO: what the walk and the live views (which keep these per group) both round.
 */
export function ratioSummary(n: number, median: number, p90: number, over: number, overruns: number): RatioSummary {
  if (n === 0) return { workflows: 0, median_ratio: null, p90_ratio: null, over_estimate_share: null, overruns: 0 };
  return {
    workflows: n,
    median_ratio: pyRound(median, 3),
    p90_ratio: pyRound(p90, 3),
    over_estimate_share: pyRound(over / n, 3),
    overruns,
  };
}

function summary(ratios: readonly number[]): RatioSummary {
  const sorted = sortedCopy(ratios);
  let over = 0;
  let overruns = 0;
  for (const ratio of ratios) {
    if (ratio > 1) over++;
    if (ratio > OVERRUN_RATIO) overruns++;
  }
  return ratioSummary(ratios.length, medianOfSorted(sorted), quantileOfSorted(sorted, 0.9), over, overruns);
}

export function query(
  ledger: LedgerState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  filter: WorkflowFilter = {},
  limit = Infinity,
): EstimatesView {
  const { estimated, withoutEstimate } = estimatedWorkflows(timings, details, ledger.table.workflows.size, filter);
  const byProject = new Map<string | null, number[]>();
  for (const wf of estimated) {
    const project = projectOf(details, wf.ref);
    let ratios = byProject.get(project);
    if (ratios === undefined) {
      ratios = [];
      byProject.set(project, ratios);
    }
    ratios.push(wf.ratio);
  }
  const projects = [...byProject].map(([project, ratios]) => ({ project, ...summary(ratios) }));
  projects.sort((a, b) => b.workflows - a.workflows || byText(a.project ?? '', b.project ?? ''));
  const ids = ledger.table.workflows;
  const worst = topBy(estimated, limit, (wf) => wf.ratio, (wf) => ids.at(wf.ref)).map((wf) => ({
    workflow_id: ids.at(wf.ref),
    project: projectOf(details, wf.ref),
    estimate_seconds: wf.estimate,
    actual_seconds: wf.actual,
    ratio: pyRound(wf.ratio, 3),
  }));
  return {
    overall: summary(estimated.map((wf) => wf.ratio)),
    projects,
    worst: { count: estimated.length, items: worst },
    completed_without_estimate: withoutEstimate,
  };
}
