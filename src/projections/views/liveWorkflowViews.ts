import { ExactSum } from '../../domain/exactSum.js';
import { pyRound } from '../../domain/pyRound.js';
import { gapContribution, RowReader, type ViewSources } from '../folds/liveViews/contribution.js';
import type { LiveViewsState, RatioGroup } from '../folds/liveViews/liveViews.js';
import { projectOf } from '../folds/workflowDetails.js';
import type { BottlenecksView, OverThreshold, SlowAgent } from './bottlenecks.js';
import type { GapsView, TransitionGaps, WorkflowGaps } from './coordinationGaps.js';
import type { EstimatesView, RatioSummary } from './estimateAccuracy.js';
import { type HandoffPair, type HandoffsView, workflowHandoffsOf } from './handoffs.js';
import { counted } from '../folds/workflowOverhead.js';
import { spreadOf } from './quantiles.js';
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
const orNull = (value: number): number | null => (Number.isNaN(value) ? null : seconds(value));

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
    const s = spreadOf(g.gaps);
    const total = new ExactSum();
    for (const gap of g.gaps) total.add(gap);
    return {
      workflow_id: ids.at(ref),
      project: projectOf(sources.details, ref),
      transitions: g.gaps.length,
      median_gap_seconds: s.count > 0 ? seconds(s.median) : null,
      p90_gap_seconds: s.count > 0 ? seconds(s.p90) : null,
      total_gap_seconds: seconds(total.value()),
      overlap_seconds: seconds(g.overlap),
      idle_before_seconds: orNull(g.idleBefore),
      idle_after_seconds: orNull(g.idleAfter),
      coordination_seconds: seconds(g.coordination),
      span_seconds: orNull(g.span),
    };
  });
  const sums = views.sums;
  const span = sums.span.value();
  const pairs = pairViews(sources).sort(
    (a, b) => b.total_seconds - a.total_seconds || byText(a.from_agent, b.from_agent) || byText(a.to_agent, b.to_agent),
  );
  return {
    workflows_considered: views.considered,
    transitions: views.transitions,
    coordination: {
      workflows: views.counted,
      coordination_seconds: seconds(sums.coordination.value()),
      span_seconds: seconds(span),
      coordination_pct: span > 0 ? pyRound((sums.coordination.value() / span) * 100, 2) : 0,
      gap_seconds: seconds(sums.gaps.value()),
      idle_before_seconds: seconds(sums.before.value()),
      idle_after_seconds: seconds(sums.after.value()),
      overlap_seconds: seconds(sums.overlap.value()),
    },
    pairs: { count: pairs.length, items: pairs.slice(0, limit) },
    workflows: { count: views.considered, items },
  };
}

function summary(group: RatioGroup | undefined): RatioSummary {
  const n = group?.ratios.size ?? 0;
  if (group === undefined || n === 0) return { workflows: 0, median_ratio: null, p90_ratio: null, over_estimate_share: null, overruns: 0 };
  return {
    workflows: n,
    median_ratio: pyRound(group.ratios.median(), 3),
    p90_ratio: pyRound(group.ratios.quantile(0.9), 3),
    over_estimate_share: pyRound(group.over / n, 3),
    overruns: group.overruns,
  };
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
  const agents = [...views.durations].map(([agent, list]) => ({ agent_name: words.at(agent), invocations: list.size, p50: list.median(), p90: list.quantile(0.9) }));
  agents.sort((a, b) => b.p50 - a.p50 || b.p90 - a.p90 || byText(a.agent_name, b.agent_name));
  const slow: SlowAgent[] = agents.map(({ p50, p90, ...agent }) => ({ ...agent, p50_seconds: pyRound(p50, 3), p90_seconds: pyRound(p90, 3) }));
  const transitions = pairViews(sources).sort(
    (a, b) => b.median_seconds - a.median_seconds || b.count - a.count || byText(a.from_agent, b.from_agent) || byText(a.to_agent, b.to_agent),
  );
  const unsuccessful = views.unsuccessful;
  const enders = [...views.enders]
    .map(([agent, workflows]) => ({ agent_name: words.at(agent), workflows, share: pyRound(workflows / unsuccessful, 3) }))
    .sort((a, b) => b.workflows - a.workflows || byText(a.agent_name, b.agent_name));
  const overCount = views.byOverhead.countWhile((ref) => views.overheadPct.get(ref) > thresholdPct);
  const over = views.byOverhead.first(Math.min(limit, overCount)).map((ref): OverThreshold => {
    const wf = counted(sources.overhead, sources.timings, sources.ledger, ref);
    if (wf === undefined) throw new Error(`live views: workflow ${ref} is ranked by overhead but does not count`);
    const pct = views.overheadPct.get(ref);
    return {
      workflow_id: wf.workflowId,
      project: projectOf(details, ref),
      overhead_pct: pyRound(pct, 2),
      workflow_seconds: wf.workflowSeconds,
      agent_seconds: pyRound(wf.agentSeconds, 3),
    };
  });
  return {
    slow_agents: { count: slow.length, items: slow.slice(0, limit) },
    slow_transitions: { count: transitions.length, items: transitions.slice(0, limit) },
    failure_enders: { unsuccessful_workflows: unsuccessful, count: enders.length, items: enders.slice(0, limit) },
    over_threshold: { threshold_pct: thresholdPct, count: overCount, items: over },
  };
}
