import { ExactSum } from '../../domain/exactSum.js';
import { withKeyOrder } from '../../domain/jsonText.js';
import { pyRound } from '../../domain/pyRound.js';
import { type Change, NO_QUALITY } from './changes.js';
import type { StoredInvocation } from '../store/invocationTable.js';
import { FirstSeenCounts } from '../store/firstSeenCounts.js';
import type { LedgerState } from './ledger.js';
import { StringExtremes } from '../store/stringExtremes.js';

/** generate_statistics(): per-agent counts, rates, averages, task types and failures. */
export const schemaVersion = 1;

interface AgentTotals {
  count: number;
  successes: number;
  failures: number;
  duration: ExactSum;
  durationCount: number;
  quality: ExactSum;
  qualityCount: number;
  taskTypes: FirstSeenCounts<string>;
  /** Error messages of failures by invocation position (file order). */
  failureMessages: Map<number, string>;
}

export interface StatisticsState {
  readonly agents: Map<string, AgentTotals>;
  /** Agent first-seen order: one contribution per invocation. */
  readonly agentOrder: FirstSeenCounts<string>;
  /** Smallest and largest invocation timestamp, compared as strings as the reference does. */
  readonly timestamps: StringExtremes;
}

export function initial(): StatisticsState {
  return { agents: new Map(), agentOrder: new FirstSeenCounts(), timestamps: new StringExtremes() };
}

function totalsFor(state: StatisticsState, agent: string): AgentTotals {
  let totals = state.agents.get(agent);
  if (totals === undefined) {
    totals = {
      count: 0,
      successes: 0,
      failures: 0,
      duration: new ExactSum(),
      durationCount: 0,
      quality: new ExactSum(),
      qualityCount: 0,
      taskTypes: new FirstSeenCounts(),
      failureMessages: new Map(),
    };
    state.agents.set(agent, totals);
  }
  return totals;
}

function addQuality(state: StatisticsState, inv: StoredInvocation, quality: number, sign: 1 | -1): void {
  if (quality === NO_QUALITY) return;
  const totals = totalsFor(state, inv.agentName);
  totals.quality.add(sign * quality);
  totals.qualityCount += sign;
}

function addInvocation(state: StatisticsState, inv: StoredInvocation, sign: 1 | -1): void {
  const totals = totalsFor(state, inv.agentName);
  totals.count += sign;
  if (inv.status === 'success') totals.successes += sign;
  if (inv.status === 'failure') {
    totals.failures += sign;
    if (inv.errorMessage) {
      if (sign === 1) totals.failureMessages.set(inv.seq, inv.errorMessage);
      else totals.failureMessages.delete(inv.seq);
    }
  }
  if (inv.durationSeconds) {
    totals.duration.add(sign * inv.durationSeconds);
    totals.durationCount += sign;
  }
  if (inv.taskType !== null) {
    if (sign === 1) totals.taskTypes.add(inv.taskType, inv.seq);
    else totals.taskTypes.remove(inv.taskType, inv.seq);
  }
  if (sign === 1) {
    state.agentOrder.add(inv.agentName, inv.seq);
    state.timestamps.add(inv.timestamp);
  } else {
    state.agentOrder.remove(inv.agentName, inv.seq);
    state.timestamps.remove(inv.timestamp);
    if (totals.count === 0) state.agents.delete(inv.agentName);
  }
}

export function apply(state: StatisticsState, change: Change): StatisticsState {
  if (change.kind === 'invocation') {
    if (change.prev !== undefined) {
      addQuality(state, change.prev, change.quality, -1);
      addInvocation(state, change.prev, -1);
    }
    addInvocation(state, change.next, 1);
    addQuality(state, change.next, change.quality, 1);
  } else if (change.kind === 'metric' && change.invocation !== undefined) {
    addQuality(state, change.invocation, change.prevQuality, -1);
    addQuality(state, change.invocation, change.quality, 1);
  }
  return state;
}

export interface AgentStatistics {
  invocation_count: number;
  success_rate: number;
  average_quality: number;
  average_duration_seconds: number;
  common_task_types: string[];
  common_failures: string[];
  recommended_for: string[];
}

export interface StatisticsView {
  total_invocations: number;
  date_range?: { start: string; end: string };
  agents: Record<string, AgentStatistics>;
}

const MAX_FAILURES = 5;

function firstFailures(messages: Map<number, string>): string[] {
  const seqs = [...messages.keys()];
  if (seqs.length > MAX_FAILURES * 8) {
    // Keep the smallest few without sorting them all.
    const kept: number[] = [];
    for (const seq of seqs) {
      if (kept.length < MAX_FAILURES) kept.push(seq);
      else if (seq < (kept[MAX_FAILURES - 1] as number)) kept[MAX_FAILURES - 1] = seq;
      else continue;
      kept.sort((a, b) => a - b);
    }
    return kept.map((seq) => messages.get(seq) as string);
  }
  return seqs
    .sort((a, b) => a - b)
    .slice(0, MAX_FAILURES)
    .map((seq) => messages.get(seq) as string);
}

function refreshOrders(state: StatisticsState, ledger: LedgerState): void {
  const table = ledger.table;
  if (state.agentOrder.needsRefresh) {
    state.agentOrder.refresh((visit) => {
      for (let seq = 0; seq < table.size; seq++) visit(table.words.at(table.agentRefAt(seq)), seq);
    });
  }
  if (state.timestamps.needsRefresh) {
    state.timestamps.refresh((visit) => {
      for (let seq = 0; seq < table.size; seq++) visit(table.timestampAt(seq));
    });
  }
  for (const [agent, totals] of state.agents) {
    if (!totals.taskTypes.needsRefresh) continue;
    const agentRef = table.words.find(agent);
    totals.taskTypes.refresh((visit) => {
      for (let seq = 0; seq < table.size; seq++) {
        const taskType = table.taskTypeRefAt(seq);
        if (table.agentRefAt(seq) === agentRef && taskType >= 0) visit(table.words.at(taskType), seq);
      }
    });
  }
}

function describeAgent(totals: AgentTotals): AgentStatistics {
  const decided = totals.successes + totals.failures;
  const successRate = decided > 0 ? totals.successes / decided : 0;
  const avgQuality = totals.qualityCount > 0 ? totals.quality.value() / totals.qualityCount : 0;
  const avgDuration = totals.durationCount > 0 ? totals.duration.value() / totals.durationCount : 0;
  const commonTypes = totals.taskTypes.mostCommon(3);
  const recommended: string[] = [];
  if (successRate > 0.8 && avgQuality > 3.5) recommended.push('High success rate - reliable choice');
  const top = commonTypes[0];
  if (top !== undefined && top.count >= 3) recommended.push(`Best for ${top.key} tasks`);
  if (successRate < 0.5 && totals.count >= 5) recommended.push('Consider alternative agents - low success rate');
  return {
    invocation_count: totals.count,
    success_rate: pyRound(successRate, 3),
    average_quality: pyRound(avgQuality, 2),
    average_duration_seconds: pyRound(avgDuration, 2),
    common_task_types: commonTypes.map((t) => t.key),
    common_failures: firstFailures(totals.failureMessages),
    recommended_for: recommended,
  };
}

/** Agents in first-seen order with their statistics. */
export function agentStatistics(state: StatisticsState, ledger: LedgerState): Array<[string, AgentStatistics]> {
  refreshOrders(state, ledger);
  return state.agentOrder.keysInFirstSeenOrder().map((agent) => [agent, describeAgent(state.agents.get(agent) as AgentTotals)]);
}

export function query(state: StatisticsState, ledger: LedgerState): StatisticsView {
  const agents: Record<string, AgentStatistics> = {};
  let total = 0;
  const ordered = agentStatistics(state, ledger);
  for (const [agent, stats] of ordered) {
    // defineProperty: agent names such as "__proto__" are ordinary keys here.
    Object.defineProperty(agents, agent, { value: stats, enumerable: true, writable: true, configurable: true });
    total += stats.invocation_count;
  }
  // Once every agent is a key (withKeyOrder looks at the keys the object holds).
  withKeyOrder(
    agents,
    ordered.map(([agent]) => agent),
  );
  if (total === 0) return { total_invocations: 0, agents };
  const { min, max } = state.timestamps;
  return { total_invocations: total, date_range: { start: min as string, end: max as string }, agents };
}
