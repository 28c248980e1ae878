import type { AgentStatistics } from '../folds/statistics.js';

/** get_agent_ranking(): a view over statistics, so it has no state of its own. */
export interface RankedAgent {
  agent_name: string;
  score: number;
}

/**
 * score = 0.6 x success_rate + 0.4 x (average_quality / 5), from the rounded statistics as the
 * reference computes it. With a task type, only agents whose common task types include it.
 * Agents arrive in first-seen order; the stable sort keeps that order on ties.
 */
export function rankAgents(agents: ReadonlyArray<readonly [string, AgentStatistics]>, taskType?: string): RankedAgent[] {
  const ranked: RankedAgent[] = [];
  for (const [name, stats] of agents) {
    if (taskType !== undefined && !stats.common_task_types.includes(taskType)) continue;
    ranked.push({ agent_name: name, score: stats.success_rate * 0.6 + (stats.average_quality / 5) * 0.4 });
  }
  return ranked.sort((a, b) => b.score - a.score);
}
