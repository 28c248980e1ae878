import { formatTimestampUs } from '../../domain/time.js';
import type { LedgerState } from '../folds/ledger.js';
import { byText } from '../../domain/byText.js';
import { executedOf, planOf, projectOf, SUCCEEDED, NOT_COMPLETED, type WorkflowDetailsState } from '../folds/workflowDetails.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';
import { type Adherence, adherenceOf } from '../folds/planAdherence.js';
import { type WorkflowFilter, workflowPredicate } from './workflowFilter.js';

/**
 * Hand-offs between agents: per (from -> to) pair, how often, in how many workflows, how many
 * artifacts went across, and how those workflows ended; per workflow, the chain in file order
 * and how the agents executed compare with the plan.
 */

export interface HandoffPair {
  from_agent: string | null;
  to_agent: string | null;
  handoffs: number;
  workflows: number;
  artifacts: number;
  /** Of `workflows`, those with a complete line. */
  completed: number;
  /** Share of the completed ones that succeeded; null when none completed. */
  success_rate: number | null;
}

export interface WorkflowHandoffs {
  workflow_id: string;
  project: string | null;
  chain: Array<{ from_agent: string | null; to_agent: string | null; artifacts: number; at: string | null }>;
  plan: string[];
  executed: string[] | null;
  /** For completed workflows with a plan; null otherwise. */
  adherence: Adherence | null;
  /** Planned agents that did not run (counting repeats), and agents that ran unplanned. */
  skipped: string[];
  added: string[];
}

export interface HandoffsView {
  handoffs: number;
  pairs: { count: number; items: HandoffPair[] };
  adherence: { workflows: number } & Record<Adherence, number>;
  workflows: { count: number; items: WorkflowHandoffs[] };
}

export function query(
  ledger: LedgerState,
  timings: WorkflowTimingsState,
  details: WorkflowDetailsState,
  filter: WorkflowFilter = {},
  limit = Infinity,
): HandoffsView {
  const keep = workflowPredicate(filter, details, timings);
  const names = details.names;
  const pairs = new Map<number, HandoffPair & { refs: Set<number> }>();
  let handoffs = 0;
  for (let row = 0; row < details.handoffCount; row++) {
    const ref = details.handoffWorkflow.get(row);
    if (!keep(ref)) continue;
    handoffs++;
    const fromRef = details.handoffFrom.get(row);
    const toRef = details.handoffTo.get(row);
    // Name numbers (-1 for null) stay far below 2^26: the pair fits one exact double.
    const key = (fromRef + 1) * 67_108_864 + (toRef + 1);
    let pair = pairs.get(key);
    if (pair === undefined) {
      const from = names.atOrNull(fromRef);
      const to = names.atOrNull(toRef);
      pair = { from_agent: from, to_agent: to, handoffs: 0, workflows: 0, artifacts: 0, completed: 0, success_rate: null, refs: new Set() };
      pairs.set(key, pair);
    }
    pair.handoffs++;
    pair.artifacts += details.handoffArtifacts.get(row);
    pair.refs.add(ref);
  }
  const pairViews = [...pairs.values()].map(({ refs, ...pair }) => {
    let succeeded = 0;
    for (const ref of refs) {
      const success = details.success.get(ref);
      if (success === NOT_COMPLETED) continue;
      pair.completed++;
      if (success === SUCCEEDED) succeeded++;
    }
    pair.workflows = refs.size;
    pair.success_rate = pair.completed > 0 ? succeeded / pair.completed : null;
    return pair;
  });
  pairViews.sort(
    (a, b) => b.handoffs - a.handoffs || byText(a.from_agent ?? '', b.from_agent ?? '') || byText(a.to_agent ?? '', b.to_agent ?? ''),
  );

  const adherence = { workflows: 0, same_order: 0, reordered: 0, skipped: 0, added: 0, skipped_and_added: 0 };
  // Workflows with hand-offs or a plan, most recent first (by their first line in workflow_events.jsonl).
  const considered: Array<{ ref: number; groupSeq: number }> = [];
  // A start with `agent_plan: []` planned nothing: such a workflow without hand-offs has no row here.
  const emptyPlan = names.find('[]');
  for (let ref = 0; ref < ledger.table.workflows.size; ref++) {
    const planRef = details.plan.get(ref);
    const planned = planRef >= 0 && planRef !== emptyPlan;
    if ((!planned && details.firstHandoff.get(ref) < 0) || !keep(ref)) continue;
    considered.push({ ref, groupSeq: ledger.groupSeq.get(ref) });
    const executed = executedOf(details, ref);
    const plan = planOf(details, ref);
    if (executed !== null && plan.length > 0) {
      adherence.workflows++;
      adherence[adherenceOf(plan, executed).adherence]++;
    }
  }
  considered.sort((a, b) => b.groupSeq - a.groupSeq);
  const items = considered.slice(0, limit).map(({ ref }) => workflowHandoffsOf(ledger, details, ref));
  return { handoffs, pairs: { count: pairViews.length, items: pairViews.slice(0, limit) }, adherence, workflows: { count: considered.length, items } };
}

/** One workflow's row of the view: its chain in file order, plan, agents executed and adherence. */
export function workflowHandoffsOf(ledger: LedgerState, details: WorkflowDetailsState, ref: number): WorkflowHandoffs {
  const names = details.names;
  const chain: WorkflowHandoffs['chain'] = [];
  for (let row = details.firstHandoff.get(ref); row >= 0; row = details.handoffNext.get(row)) {
    const at = details.handoffTime.get(row);
    chain.push({
      from_agent: names.atOrNull(details.handoffFrom.get(row)),
      to_agent: names.atOrNull(details.handoffTo.get(row)),
      artifacts: details.handoffArtifacts.get(row),
      at: Number.isNaN(at) ? null : formatTimestampUs(at),
    });
  }
  const plan = planOf(details, ref);
  const executed = executedOf(details, ref);
  const judged = executed !== null && plan.length > 0 ? adherenceOf(plan, executed) : null;
  return {
    workflow_id: ledger.table.workflows.at(ref),
    project: projectOf(details, ref),
    chain,
    plan,
    executed,
    adherence: judged?.adherence ?? null,
    skipped: judged?.skipped ?? [],
    added: judged?.added ?? [],
  };
}
