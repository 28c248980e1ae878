import { pyRound } from '../../domain/pyRound.js';
import type { OverheadState } from '../folds/coordinationOverhead.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';
import { type GapFigures, type TransitionGaps, transitionGaps } from './coordinationGaps.js';
import { FAILURE } from '../store/invocationTable.js';
import type { LedgerState } from '../folds/ledger.js';
import { spreadOf } from '../../domain/quantiles.js';
import { byText } from '../../domain/byText.js';
import { FAILED, projectOf, type WorkflowDetailsState } from '../folds/workflowDetails.js';
import { countedWorkflows, type WorkflowOverhead } from '../folds/workflowOverhead.js';
import { type WorkflowFilter, workflowPredicate } from './workflowFilter.js';

/**
 * Bottlenecks: the slowest agents (p50/p90 of their durations), the transitions with the
 * largest median gap, the agents whose failure most often ends a workflow that then
 * completes unsuccessfully (the workflow's last invocation by timestamp failed), and the
 * workflows whose own coordination overhead passes the alert threshold.
 */

export interface SlowAgent {
  agent_name: string;
  /** Invocations with a duration (null and 0 are left out, as `stats` averages them). */
  invocations: number;
  p50_seconds: number;
  p90_seconds: number;
}

export interface FailureEnder {
  agent_name: string;
  workflows: number;
  /** Of all workflows that completed unsuccessfully (in the filter). */
  share: number;
}

export interface OverThreshold {
  workflow_id: string;
  project: string | null;
  overhead_pct: number;
  workflow_seconds: number;
  agent_seconds: number;
}

export interface BottlenecksView {
  slow_agents: { count: number; items: SlowAgent[] };
  slow_transitions: { count: number; items: TransitionGaps[] };
  /** `count`: agents whose failure ended at least one such workflow (a capped list, like the others). */
  failure_enders: { unsuccessful_workflows: number; count: number; items: FailureEnder[] };
  over_threshold: { threshold_pct: number; count: number; items: OverThreshold[] };
}

export interface BottleneckArgs {
  readonly filter?: WorkflowFilter;
  readonly limit?: number;
  /** Coordination overhead threshold, percent (the overhead alert's). */
  readonly thresholdPct: number;
}

/** Agents with their unrounded p50 and p90, as the walk and the live views work them out. */
export interface AgentDurations {
  readonly agent_name: string;
  readonly invocations: number;
  readonly p50: number;
  readonly p90: number;
}

/** Slowest first (p50, then p90, then name), rounded. */
export function slowAgentRows(agents: AgentDurations[]): SlowAgent[] {
  agents.sort((a, b) => b.p50 - a.p50 || b.p90 - a.p90 || byText(a.agent_name, b.agent_name));
  return agents.map(({ p50, p90, ...agent }) => ({ ...agent, p50_seconds: pyRound(p50, 3), p90_seconds: pyRound(p90, 3) }));
}

/** The slow transitions' order: largest median gap first, then more gaps, then names. */
export function byMedianGap(a: TransitionGaps, b: TransitionGaps): number {
  return b.median_seconds - a.median_seconds || b.count - a.count || byText(a.from_agent, b.from_agent) || byText(a.to_agent, b.to_agent);
}

/** Per agent (number), the unsuccessful workflows its failure ended: most first, then by name. */
export function failureEnderRows(counts: Iterable<[agent: number, workflows: number]>, words: { at(ref: number): string }, unsuccessful: number): FailureEnder[] {
  return [...counts]
    .map(([agent, workflows]) => ({ agent_name: words.at(agent), workflows, share: pyRound(workflows / unsuccessful, 3) }))
    .sort((a, b) => b.workflows - a.workflows || byText(a.agent_name, b.agent_name));
}

/** `pct`: the workflow's overhead, unrounded (what the list is ordered and cut by). */
export function overThresholdRow(wf: WorkflowOverhead, project: string | null, pct: number): OverThreshold {
  return {
    workflow_id: wf.workflowId,
    project,
    overhead_pct: pyRound(pct, 2),
    workflow_seconds: wf.workflowSeconds,
    agent_seconds: pyRound(wf.agentSeconds, 3),
  };
}

function slowAgents(ledger: LedgerState, keep: ((ref: number) => boolean) | null): SlowAgent[] {
  const table = ledger.table;
  const durations = new Map<number, number[]>();
  for (let seq = 0; seq < table.size; seq++) {
    const duration = table.durationAt(seq);
    if (!duration) continue; // NaN (none) and 0, as the averages of `stats`
    if (keep !== null) {
      const ref = table.workflowRefAt(seq);
      if (ref < 0 || !keep(ref)) continue;
    }
    const agent = table.agentRefAt(seq);
    let list = durations.get(agent);
    if (list === undefined) {
      list = [];
      durations.set(agent, list);
    }
    list.push(duration);
  }
  return slowAgentRows(
    [...durations].map(([agent, list]) => {
      const s = spreadOf(list);
      return { agent_name: table.words.at(agent), invocations: s.count, p50: s.median, p90: s.p90 };
    }),
  );
}

function failureEnders(
  ledger: LedgerState,
  details: WorkflowDetailsState,
  figures: GapFigures,
  keep: (ref: number) => boolean,
): FailureEnder[] & { unsuccessful: number } {
  const table = ledger.table;
  // Counted over every workflow, not only those in `figures`: a failed workflow without a start
  // and without invocations of its own is still one that completed unsuccessfully.
  let unsuccessful = 0;
  for (let ref = 0; ref < table.workflows.size; ref++) if (details.success.get(ref) === FAILED && keep(ref)) unsuccessful++;
  const counts = new Map<number, number>();
  for (let i = 0; i < figures.count; i++) {
    if (details.success.get(figures.refs[i] as number) !== FAILED) continue;
    const last = figures.lastRow[i] as number;
    if (last < 0 || table.statusAt(last) !== FAILURE) continue;
    const agent = table.agentRefAt(last);
    counts.set(agent, (counts.get(agent) ?? 0) + 1);
  }
  return Object.assign(failureEnderRows(counts, table.words, unsuccessful), { unsuccessful });
}

export function query(
  ledger: LedgerState,
  overhead: OverheadState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  figures: GapFigures,
  args: BottleneckArgs,
): BottlenecksView {
  const filter = args.filter ?? {};
  const limit = args.limit ?? Infinity;
  const filtered = filter.project !== undefined || filter.sinceUs !== undefined;
  const keep = workflowPredicate(filter, details, timings);
  const agents = slowAgents(ledger, filtered ? keep : null);
  const transitions = transitionGaps(ledger, figures).sort(byMedianGap);
  const enders = failureEnders(ledger, details, figures, keep);
  const ids = ledger.table.workflows;
  const over: Array<OverThreshold & { pct: number }> = [];
  for (const wf of countedWorkflows(overhead, timings, ledger)) {
    const ref = ids.find(wf.workflowId);
    if (!keep(ref)) continue;
    // x 100 before the division: 28 of 100 s is then exactly 28 (0.28 x 100 is 28.000000000000004,
    // which would pass a threshold of 28 while showing 28.00).
    const pct = ((wf.workflowSeconds - wf.agentSeconds) * 100) / wf.workflowSeconds;
    if (!(pct > args.thresholdPct)) continue;
    over.push({ ...overThresholdRow(wf, projectOf(details, ref), pct), pct });
  }
  over.sort((a, b) => b.pct - a.pct || byText(a.workflow_id, b.workflow_id));
  return {
    slow_agents: { count: agents.length, items: agents.slice(0, limit) },
    slow_transitions: { count: transitions.length, items: transitions.slice(0, limit) },
    failure_enders: { unsuccessful_workflows: enders.unsuccessful, count: enders.length, items: [...enders].slice(0, limit) },
    over_threshold: { threshold_pct: args.thresholdPct, count: over.length, items: over.slice(0, limit).map(({ pct: _pct, ...wf }) => wf) },
  };
}
