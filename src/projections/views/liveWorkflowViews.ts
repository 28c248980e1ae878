import { pyRound } from '../../domain/pyRound.js';
import { gapContribution, RowReader, type ViewSources } from '../folds/liveViews/contribution.js';
import type { LiveViewsState, RatioGroup } from '../folds/liveViews/liveViews.js';
import { projectOf } from '../folds/workflowDetails.js';
import { byMedianGap, type BottlenecksView, failureEnderRows, type OverThreshold, overThresholdRow, slowAgentRows } from './bottlenecks.js';
import { byTotalGap, coordinationSummary, type GapsView, type TransitionGaps, type WorkflowGaps, workflowGapsRow } from './coordinationGaps.js';
import { type EstimatesView, type RatioSummary, ratioSummary } from './estimateAccuracy.js';
import { type HandoffPair, type HandoffsView, workflowHandoffsOf } from './handoffs.js';
import { counted } from '../folds/workflowOverhead.js';
import type { SortedFloats } from '../store/sortedFloats.js';
import { byText } from '../../domain/byText.js';

/**
 * The four workflow views without a filter, read from the live-views fold (folds/liveViews):
 * the same documents as handoffs.ts, coordinationGaps.ts, estimateAccuracy.ts and
 * bottlenecks.ts give for an empty filter, to the byte, in time proportional to what is
 * listed rather than to the invocations.
 */

export interface LiveSources extends ViewSources {
  readonly views: LiveViewsState;
}

const seconds = (value: number): number => pyRound(value, 3);

/**
 * Each pair's row as last worked out, by its set of gaps: a pair's total changes only with its
 * gaps, so the row stands while the set's revision does. Rounding every pair's figures (pyRound,
 * slow near a tie) was the largest part of each snapshot's gaps view at 30k workflows, though a
 * batch touches a few pairs.
 */
const pairRows = new WeakMap<SortedFloats, { readonly revision: number; readonly row: TransitionGaps }>();

function pairViews(sources: LiveSources): TransitionGaps[] {
  const words = sources.ledger.table.words;
  return [...sources.views.pairs.values()].map((pair) => {
    const gaps = pair.gaps;
    const kept = pairRows.get(gaps);
    if (kept !== undefined && kept.revision === gaps.revision) return { ...kept.row };
    const row = {
      from_agent: words.at(pair.from),
      to_agent: words.at(pair.to),
      count: gaps.size,
      median_seconds: seconds(gaps.median()),
      p90_seconds: seconds(gaps.quantile(0.9)),
      total_seconds: seconds(pair.total.value()),
    };
    pairRows.set(gaps, { revision: gaps.revision, row });
    return { ...row };
  });
}

export function gaps(sources: LiveSources, limit = Infinity): GapsView {
  const views = sources.views;
  const ids = sources.ledger.table.workflows;
  const rows = new RowReader(sources.ledger, undefined);
  const items = views.byCoordination.first(limit).map((ref): WorkflowGaps => {
    const g = gapContribution(sources, views.order, rows, ref);
    if (g === null) throw new Error(`live views: workflow ${ref} is ranked but has no gap figures`);
    return workflowGapsRow(ids.at(ref), projectOf(sources.details, ref), g);
  });
  const pairs = pairViews(sources).sort(byTotalGap);
  return {
    workflows_considered: views.considered,
    transitions: views.transitions,
    coordination: coordinationSummary(views.counted, views.sums),
    pairs: { count: pairs.length, items: pairs.slice(0, limit) },
    workflows: { count: views.considered, items },
  };
}

function summary(group: RatioGroup): RatioSummary {
  return ratioSummary(group.ratios.size, group.ratios.median(), group.ratios.quantile(0.9), group.over, group.overruns);
}

export function estimates(sources: LiveSources, limit = Infinity): EstimatesView {
  const { views, details, timings } = sources;
  const ids = sources.ledger.table.workflows;
  // The walk lists projects in the order of their first estimated workflow before sorting them:
  // that order only shows when two names compare equal (null and ""), so it is looked up then.
  const firstRef = (group: number): number => {
    for (let ref = 0; ref < ids.size; ref++) {
      if (!Number.isNaN(timings.completeDuration.get(ref)) && details.estimate.get(ref) > 0 && Math.max(-1, details.project.get(ref)) === group) return ref;
    }
    return -1;
  };
  const projects = [...views.projects].map(([group, ratios]) => ({ group, view: { project: details.names.atOrNull(group), ...summary(ratios) } }));
  projects.sort(
    (a, b) =>
      b.view.workflows - a.view.workflows || byText(a.view.project ?? '', b.view.project ?? '') || firstRef(a.group) - firstRef(b.group),
  );
  const worst = views.byRatio.first(limit).map((ref) => {
    const estimate = details.estimate.get(ref);
    const actual = timings.completeDuration.get(ref);
    return { workflow_id: ids.at(ref), project: projectOf(details, ref), estimate_seconds: estimate, actual_seconds: actual, ratio: pyRound(actual / estimate, 3) };
  });
  return {
    overall: summary(views.overall),
    projects: projects.map((p) => p.view),
    worst: { count: views.byRatio.size, items: worst },
    completed_without_estimate: views.withoutEstimate,
  };
}

export function handoffs(sources: LiveSources, limit = Infinity): HandoffsView {
  const { views, details } = sources;
  const names = details.names;
  // Pairs the walk meets first come first when their names compare equal (null and "").
  const firstRow = (from: number, to: number): number => {
    for (let row = 0; row < details.handoffCount; row++) if (details.handoffFrom.get(row) === from && details.handoffTo.get(row) === to) return row;
    return -1;
  };
  const pairs = [...views.handoffPairs.values()]
    .filter((pair) => pair.handoffs > 0)
    .map((pair) => ({
      pair,
      view: {
        from_agent: names.atOrNull(pair.from),
        to_agent: names.atOrNull(pair.to),
        handoffs: pair.handoffs,
        workflows: pair.workflows,
        artifacts: pair.artifacts,
        completed: pair.completed,
        success_rate: pair.completed > 0 ? pair.succeeded / pair.completed : null,
      } satisfies HandoffPair,
    }));
  pairs.sort(
    (a, b) =>
      b.view.handoffs - a.view.handoffs ||
      byText(a.view.from_agent ?? '', b.view.from_agent ?? '') ||
      byText(a.view.to_agent ?? '', b.view.to_agent ?? '') ||
      firstRow(a.pair.from, a.pair.to) - firstRow(b.pair.from, b.pair.to),
  );
  const items = views.listed.first(limit).map((ref) => workflowHandoffsOf(sources.ledger, details, ref));
  return {
    handoffs: details.handoffCount,
    pairs: { count: pairs.length, items: pairs.slice(0, limit).map((p) => p.view) },
    adherence: { ...views.adherence },
    workflows: { count: views.listed.size, items },
  };
}

export function bottlenecks(sources: LiveSources, limit: number, thresholdPct: number): BottlenecksView {
  const { views, details } = sources;
  const words = sources.ledger.table.words;
  const slow = slowAgentRows([...views.durations].map(([agent, list]) => ({ agent_name: words.at(agent), invocations: list.size, p50: list.median(), p90: list.quantile(0.9) })));
  const transitions = pairViews(sources).sort(byMedianGap);
  const unsuccessful = views.unsuccessful;
  const enders = failureEnderRows(views.enders, words, unsuccessful);
  const overCount = views.byOverhead.countWhile((ref) => views.overheadPct.get(ref) > thresholdPct);
  const over = views.byOverhead.first(Math.min(limit, overCount)).map((ref): OverThreshold => {
    const wf = counted(sources.overhead, sources.timings, sources.ledger, ref);
    if (wf === undefined) throw new Error(`live views: workflow ${ref} is ranked by overhead but does not count`);
    return overThresholdRow(wf, projectOf(details, ref), views.overheadPct.get(ref));
  });
  return {
    slow_agents: { count: slow.length, items: slow.slice(0, limit) },
    slow_transitions: { count: transitions.length, items: transitions.slice(0, limit) },
    failure_enders: { unsuccessful_workflows: unsuccessful, count: enders.length, items: enders.slice(0, limit) },
    over_threshold: { threshold_pct: thresholdPct, count: overCount, items: over },
  };
}
