import { pyRound } from '../../domain/pyRound.js';
import { US_PER_DAY } from '../../domain/time.js';
import { SUCCESS } from '../store/invocationTable.js';
import type { LedgerState } from '../folds/ledger.js';

/**
 * get_agent_performance_trends(agent, days) for any `now`: recent week against the window
 * before it. The windows move with `now`, so nothing is folded ahead: a query walks the
 * invocation columns (agent, time, status) once.
 */

export type TrendVerdict = 'improving' | 'declining' | 'stable' | 'insufficient_data';

export interface TrendView {
  trend: TrendVerdict;
  success_rate_change: number;
  recent_success_rate: number;
  historical_success_rate: number;
}

const RECENT_DAYS = 7;

const INSUFFICIENT: TrendView = { trend: 'insufficient_data', success_rate_change: 0, recent_success_rate: 0, historical_success_rate: 0 };

export function query(ledger: LedgerState, agent: string, days: number, nowUs: number): TrendView {
  const table = ledger.table;
  const agentRef = table.words.find(agent);
  if (agentRef < 0) return { ...INSUFFICIENT };
  const recentFrom = nowUs - RECENT_DAYS * US_PER_DAY;
  const historicalFrom = nowUs - days * US_PER_DAY;
  let count = 0;
  let recent = 0;
  let recentOk = 0;
  let historical = 0;
  let historicalOk = 0;
  for (let seq = 0; seq < table.size; seq++) {
    if (table.agentRefAt(seq) !== agentRef) continue;
    count++;
    // NaN (an unparsable timestamp) is in neither window.
    const timeUs = table.timeUsAt(seq);
    if (timeUs >= recentFrom) {
      recent++;
      if (table.statusAt(seq) === SUCCESS) recentOk++;
    } else if (timeUs >= historicalFrom) {
      historical++;
      if (table.statusAt(seq) === SUCCESS) historicalOk++;
    }
  }
  if (count < 2) return { ...INSUFFICIENT };
  const recentRate = recent > 0 ? recentOk / recent : 0;
  const historicalRate = historical > 0 ? historicalOk / historical : 0;
  const change = recentRate - historicalRate;
  const trend: TrendVerdict = Math.abs(change) < 0.05 ? 'stable' : change > 0 ? 'improving' : 'declining';
  return {
    trend,
    success_rate_change: pyRound(change, 3),
    recent_success_rate: pyRound(recentRate, 3),
    historical_success_rate: pyRound(historicalRate, 3),
  };
}
