import { ExactSum } from '../domain/exactSum.js';
import type { Change, StoredInvocation } from './changes.js';
import type { LedgerState } from './ledger.js';
import { taskKeywords } from './taskKeywords.js';

/**
 * query_best_agent(): which agent did best on tasks like this one. Invocations are grouped by
 * what relevance depends on (agent, task text, agent type, task type), so a query walks the
 * distinct tasks, not every invocation.
 */
export const schemaVersion = 1;

interface TaskGroup {
  readonly taskLower: string;
  readonly agentTypeLower: string;
  readonly taskTypeLower: string;
  count: number;
  successes: number;
  readonly duration: ExactSum;
  durationCount: number;
  /** First-seen position of the group's invocations (stale after a retraction, see refresh). */
  minSeq: number;
  stale: boolean;
}

export interface BestAgentState {
  /** Per agent, per group key. */
  readonly agents: Map<string, Map<string, TaskGroup>>;
}

export function initial(): BestAgentState {
  return { agents: new Map() };
}

function groupKey(inv: StoredInvocation): string {
  return `${inv.agentType}\u0000${inv.taskType ?? ''}\u0000${inv.taskDescription}`;
}

function contribute(state: BestAgentState, inv: StoredInvocation, sign: 1 | -1): void {
  // The reference skips invocations without an agent name when it picks an agent.
  if (inv.agentName === '') return;
  let groups = state.agents.get(inv.agentName);
  if (groups === undefined) {
    if (sign === -1) return;
    groups = new Map();
    state.agents.set(inv.agentName, groups);
  }
  const key = groupKey(inv);
  let group = groups.get(key);
  if (group === undefined) {
    if (sign === -1) return;
    group = {
      taskLower: inv.taskDescription.toLowerCase(),
      agentTypeLower: inv.agentType.toLowerCase(),
      taskTypeLower: (inv.taskType ?? '').toLowerCase(),
      count: 0,
      successes: 0,
      duration: new ExactSum(),
      durationCount: 0,
      minSeq: inv.seq,
      stale: false,
    };
    groups.set(key, group);
  }
  group.count += sign;
  if (inv.status === 'success') group.successes += sign;
  if (inv.durationSeconds) {
    group.duration.add(sign * inv.durationSeconds);
    group.durationCount += sign;
  }
  if (sign === 1) {
    if (inv.seq < group.minSeq || (group.stale && inv.seq === group.minSeq)) {
      group.minSeq = inv.seq;
      group.stale = false;
    }
  } else if (group.count === 0) {
    groups.delete(key);
    if (groups.size === 0) state.agents.delete(inv.agentName);
  } else if (inv.seq === group.minSeq) {
    group.stale = true;
  }
}

export function apply(state: BestAgentState, change: Change): BestAgentState {
  if (change.kind !== 'invocation') return state;
  if (change.prev !== undefined) contribute(state, change.prev, -1);
  contribute(state, change.next, 1);
  return state;
}

function refreshStale(state: BestAgentState, ledger: LedgerState): void {
  let stale = false;
  for (const groups of state.agents.values()) {
    for (const group of groups.values()) {
      if (group.stale) {
        group.minSeq = Infinity;
        stale = true;
      }
    }
  }
  if (!stale) return;
  for (const inv of ledger.invocations.values()) {
    const group = state.agents.get(inv.agentName)?.get(groupKey(inv));
    if (group !== undefined && group.stale && inv.seq < group.minSeq) group.minSeq = inv.seq;
  }
  for (const groups of state.agents.values()) for (const group of groups.values()) group.stale = false;
}

export interface AgentMatch {
  agent_name: string;
  confidence: number;
  success_rate: number;
  avg_duration_minutes: number;
  total_tasks: number;
  recent_performance: string;
}

export interface BestAgentQuery {
  readonly task: string;
  readonly domain?: string | undefined;
  readonly minConfidence: number;
  /** The 30-day trend verdict of an agent at the query's `now`. */
  readonly recentPerformance: (agent: string) => string;
}

function relevanceOf(group: TaskGroup, keywords: readonly string[], domain: string): number {
  let relevance = 0;
  for (const keyword of keywords) if (group.taskLower.includes(keyword)) relevance += 1;
  if (domain !== '') {
    if (group.agentTypeLower.includes(domain)) relevance += 2.0;
    if (group.taskTypeLower.includes(domain)) relevance += 1.5;
  }
  return relevance;
}

/** Every agent at or above the minimum confidence, best first, ties in first-seen order. */
export function query(state: BestAgentState, ledger: LedgerState, q: BestAgentQuery): AgentMatch[] {
  refreshStale(state, ledger);
  const keywords = taskKeywords(q.task);
  const domain = (q.domain ?? '').toLowerCase();
  const candidates: Array<AgentMatch & { firstSeq: number }> = [];
  for (const [agent, groups] of state.agents) {
    let total = 0;
    let successes = 0;
    let relevanceSum = 0;
    const duration = new ExactSum();
    let durationCount = 0;
    let firstSeq = Infinity;
    for (const group of groups.values()) {
      const relevance = relevanceOf(group, keywords, domain);
      if (relevance <= 0) continue;
      total += group.count;
      successes += group.successes;
      relevanceSum += relevance * group.count;
      duration.addAll(group.duration);
      durationCount += group.durationCount;
      if (group.minSeq < firstSeq) firstSeq = group.minSeq;
    }
    if (total === 0) continue;
    const successRate = successes / total;
    const confidence = Math.min((((relevanceSum / total) * 0.6 + Math.min(total / 10, 1.0) * 0.4) * successRate) / 3, 1.0);
    if (confidence < q.minConfidence) continue;
    candidates.push({
      agent_name: agent,
      confidence,
      success_rate: successRate,
      avg_duration_minutes: durationCount > 0 ? duration.value() / durationCount / 60 : 0,
      total_tasks: total,
      recent_performance: q.recentPerformance(agent),
      firstSeq,
    });
  }
  candidates.sort((a, b) => b.confidence - a.confidence || a.firstSeq - b.firstSeq);
  return candidates.map(({ firstSeq: _firstSeq, ...match }) => match);
}
