import { ExactSum } from '../../domain/exactSum.js';
import { SUCCESS } from '../store/invocationTable.js';
import type { LedgerState } from '../folds/ledger.js';
import { taskKeywords } from './taskKeywords.js';

/**
 * query_best_agent(): which agent did best on tasks like this one. Relevance depends on the
 * question, so nothing is folded ahead: a query searches the lower-cased task texts once per
 * keyword, then walks the invocation columns once (agent and task types are pooled). The
 * ledger's table is the only state it reads.
 */

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

interface AgentTally {
  readonly firstSeq: number;
  total: number;
  successes: number;
  relevanceSum: number;
  readonly duration: ExactSum;
  durationCount: number;
}

/** How many runs give the run count its full weight in the confidence. */
export const FULL_WEIGHT_RUNS = 10;

/**
 * What a confidence is made of, worked back from a match (its JSON has no room for them):
 * confidence = (0.6 x relevance + 0.4 x min(runs / 10, 1)) x success rate / 3, capped at 1, where
 * relevance is the average, over the agent's matching runs, of the task's words each run's task
 * held (plus 2 for a --domain in the agent type, 1.5 in the task type). Relevance is null when
 * the confidence cannot tell it (no success, or capped).
 */
export function confidenceParts(match: AgentMatch): { runsWeight: number; relevance: number | null } {
  const runsWeight = Math.min(match.total_tasks / FULL_WEIGHT_RUNS, 1.0);
  if (match.success_rate <= 0 || match.confidence >= 1) return { runsWeight, relevance: null };
  return { runsWeight, relevance: ((match.confidence * 3) / match.success_rate - runsWeight * 0.4) / 0.6 };
}

/** Every agent at or above the minimum confidence, best first, ties in first-seen order. */
export function query(ledger: LedgerState, q: BestAgentQuery): AgentMatch[] {
  const table = ledger.table;
  const words = table.words;
  const keywords = taskKeywords(q.task);
  const domain = (q.domain ?? '').toLowerCase();
  if (keywords.length === 0 && domain === '') return [];
  // Domain boosts per pooled string, worked out on first use: NaN = not yet.
  const typeBoost = new Float64Array(words.size).fill(NaN);
  const taskTypeBoost = new Float64Array(words.size).fill(NaN);
  const boost = (cache: Float64Array, ref: number, amount: number): number => {
    if (ref < 0) return 0;
    let value = cache[ref] as number;
    if (Number.isNaN(value)) {
      value = words.at(ref).toLowerCase().includes(domain) ? amount : 0;
      cache[ref] = value;
    }
    return value;
  };
  const emptyAgent = words.find('');
  // Keyword hits per invocation, one native search per keyword over the task-text blocks.
  const size = table.size;
  const hits = new Float64Array(size);
  for (const keyword of keywords) table.countTasksContaining(keyword, hits);
  const tallies = new Map<number, AgentTally>();
  for (let seq = 0; seq < size; seq++) {
    let relevance = hits[seq] as number;
    if (domain !== '') {
      relevance += boost(typeBoost, table.agentTypeRefAt(seq), 2.0);
      // A missing task type reads as "", which holds the domain only when it is empty.
      relevance += boost(taskTypeBoost, table.taskTypeRefAt(seq), 1.5);
    }
    // (Relevance first: most rows of a large log match nothing, and then no column is read.)
    if (relevance <= 0) continue;
    const agentRef = table.agentRefAt(seq);
    // The reference skips invocations without an agent name when it picks an agent.
    if (agentRef === emptyAgent) continue;
    let tally = tallies.get(agentRef);
    if (tally === undefined) {
      tally = { firstSeq: seq, total: 0, successes: 0, relevanceSum: 0, duration: new ExactSum(), durationCount: 0 };
      tallies.set(agentRef, tally);
    }
    tally.total++;
    if (table.statusAt(seq) === SUCCESS) tally.successes++;
    tally.relevanceSum += relevance;
    const duration = table.durationAt(seq);
    if (duration && !Number.isNaN(duration)) {
      tally.duration.add(duration);
      tally.durationCount++;
    }
  }
  const candidates: Array<AgentMatch & { firstSeq: number }> = [];
  for (const [agentRef, tally] of tallies) {
    const successRate = tally.successes / tally.total;
    const confidence = Math.min((((tally.relevanceSum / tally.total) * 0.6 + Math.min(tally.total / FULL_WEIGHT_RUNS, 1.0) * 0.4) * successRate) / 3, 1.0);
    if (confidence < q.minConfidence) continue;
    const agent = words.at(agentRef);
    candidates.push({
      agent_name: agent,
      confidence,
      success_rate: successRate,
      avg_duration_minutes: tally.durationCount > 0 ? tally.duration.value() / tally.durationCount / 60 : 0,
      total_tasks: tally.total,
      recent_performance: q.recentPerformance(agent),
      firstSeq: tally.firstSeq,
    });
  }
  candidates.sort((a, b) => b.confidence - a.confidence || a.firstSeq - b.firstSeq);
  return candidates.map(({ firstSeq: _firstSeq, ...match }) => match);
}
