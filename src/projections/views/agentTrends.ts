import { pyRound } from '../../domain/pyRound.js';
import { US_PER_DAY } from '../../domain/time.js';
import { SUCCESS } from '../store/invocationTable.js';
import type { LedgerState } from '../folds/ledger.js';

/**
 * get_agent_performance_trends(agent, days) for any `now`: recent week against the window
 * before it. The windows move with `now`, so nothing is folded ahead: a query walks the
 * invocation columns (agent, time, status) once, for one agent or for all.
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

interface WindowCounts {
  count: number;
  recent: number;
  recentOk: number;
  historical: number;
  historicalOk: number;
}

export function query(ledger: LedgerState, agent: string, days: number, nowUs: number): TrendView {
  const agentRef = ledger.table.words.find(agent);
  if (agentRef < 0) return { ...INSUFFICIENT };
  return viewOf(countWindows(ledger, days, nowUs, agentRef).get(agentRef));
}

/** Runs in each window: what the verdict stands on (a rate over an empty window reads as 0). */
export interface TrendWindows {
  recent_runs: number;
  historical_runs: number;
}

export function windows(ledger: LedgerState, agent: string, days: number, nowUs: number): TrendWindows {
  const agentRef = ledger.table.words.find(agent);
  const c = agentRef < 0 ? undefined : countWindows(ledger, days, nowUs, agentRef).get(agentRef);
  return { recent_runs: c?.recent ?? 0, historical_runs: c?.historical ?? 0 };
}

/** The trend of every agent at once, in one walk of the columns (best-agent asks for several). */
export function queryAll(ledger: LedgerState, days: number, nowUs: number): (agent: string) => TrendView {
  const counts = countWindows(ledger, days, nowUs, -1);
  return (agent) => viewOf(counts.get(ledger.table.words.find(agent)));
}

/** Window counts per agent ref; of `onlyRef` alone unless it is -1. */
function countWindows(ledger: LedgerState, days: number, nowUs: number, onlyRef: number): Map<number, WindowCounts> {
  const table = ledger.table;
  const recentFrom = nowUs - RECENT_DAYS * US_PER_DAY;
  const historicalFrom = nowUs - days * US_PER_DAY;
  const counts = new Map<number, WindowCounts>();
  for (let seq = 0; seq < table.size; seq++) {
    const agentRef = table.agentRefAt(seq);
    if (onlyRef !== -1 && agentRef !== onlyRef) continue;
    let c = counts.get(agentRef);
    if (c === undefined) {
      c = { count: 0, recent: 0, recentOk: 0, historical: 0, historicalOk: 0 };
      counts.set(agentRef, c);
    }
    c.count++;
    // NaN (an unparsable timestamp) is in neither window.
    const timeUs = table.timeUsAt(seq);
    if (timeUs >= recentFrom) {
      c.recent++;
      if (table.statusAt(seq) === SUCCESS) c.recentOk++;
    } else if (timeUs >= historicalFrom) {
      c.historical++;
      if (table.statusAt(seq) === SUCCESS) c.historicalOk++;
    }
  }
  return counts;
}

function viewOf(c: WindowCounts | undefined): TrendView {
  if (c === undefined || c.count < 2) return { ...INSUFFICIENT };
  const recentRate = c.recent > 0 ? c.recentOk / c.recent : 0;
  const historicalRate = c.historical > 0 ? c.historicalOk / c.historical : 0;
  const change = recentRate - historicalRate;
  const trend: TrendVerdict = Math.abs(change) < 0.05 ? 'stable' : change > 0 ? 'improving' : 'declining';
  return {
    trend,
    success_rate_change: pyRound(change, 3),
    recent_success_rate: pyRound(recentRate, 3),
    historical_success_rate: pyRound(historicalRate, 3),
  };
}
