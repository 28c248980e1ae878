import type { Change } from './changes.js';
import type { StoredInvocation } from '../store/invocationTable.js';
import { FirstSeenCounts } from '../store/firstSeenCounts.js';
import type { LedgerState } from './ledger.js';
import { StringExtremes } from '../store/stringExtremes.js';

/**
 * Per-agent rolling success rate over the agent's last N decided invocations (status success
 * or failure, as `stats` counts them), in invocation order. A running invocation joins the
 * window when it is updated, at its own position.
 */
export const schemaVersion = 2;
export const DEFAULT_WINDOW = 20;

export interface RollingSuccessState {
  /** Per agent: positions of decided invocations, ascending, encoded seq * 2 + (success ? 1 : 0). */
  readonly agents: Map<string, number[]>;
  /** Per agent: every invocation and the last one seen, for "count" and "last seen". */
  readonly seen: Map<string, { count: number; readonly times: StringExtremes }>;
  /** Agents in first-seen order (a replaced record must not move its agent to the end). */
  readonly order: FirstSeenCounts<string>;
}

export function initial(): RollingSuccessState {
  return { agents: new Map(), seen: new Map(), order: new FirstSeenCounts() };
}

function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contribute(state: RollingSuccessState, inv: StoredInvocation, sign: 1 | -1): void {
  if (sign === 1) state.order.add(inv.agentName, inv.seq);
  else state.order.remove(inv.agentName, inv.seq);
  const seen = state.seen.get(inv.agentName);
  if (sign === 1) {
    const entry = seen ?? { count: 0, times: new StringExtremes() };
    if (seen === undefined) state.seen.set(inv.agentName, entry);
    entry.count++;
    entry.times.add(inv.timestamp);
  } else if (seen !== undefined) {
    seen.count--;
    seen.times.remove(inv.timestamp);
    if (seen.count === 0) state.seen.delete(inv.agentName);
  }
  if (inv.status !== 'success' && inv.status !== 'failure') return;
  const code = inv.seq * 2 + (inv.status === 'success' ? 1 : 0);
  let window = state.agents.get(inv.agentName);
  if (sign === 1) {
    if (window === undefined) {
      window = [];
      state.agents.set(inv.agentName, window);
    }
    if (window.length === 0 || (window[window.length - 1] as number) < code) window.push(code);
    else window.splice(lowerBound(window, code), 0, code);
  } else if (window !== undefined) {
    const at = lowerBound(window, code);
    if (window[at] === code) window.splice(at, 1);
    if (window.length === 0) state.agents.delete(inv.agentName);
  }
}

export function apply(state: RollingSuccessState, change: Change): RollingSuccessState {
  if (change.kind !== 'invocation') return state;
  if (change.prev !== undefined) contribute(state, change.prev, -1);
  contribute(state, change.next, 1);
  return state;
}

export interface RollingSuccessView {
  agent_name: string;
  rolling_success_rate: number | null;
  window: number;
  invocation_count: number;
  last_seen: string;
}

export function query(state: RollingSuccessState, ledger: LedgerState, windowSize: number = DEFAULT_WINDOW): RollingSuccessView[] {
  const views: RollingSuccessView[] = [];
  const table = ledger.table;
  state.order.refresh((visit) => {
    for (let seq = 0; seq < table.size; seq++) visit(table.words.at(table.agentRefAt(seq)), seq);
  });
  for (const agent of state.order.keysInFirstSeenOrder()) {
    const seen = state.seen.get(agent);
    if (seen === undefined) continue;
    if (seen.times.needsRefresh) {
      const agentRef = table.words.find(agent);
      seen.times.refresh((visit) => {
        for (let seq = 0; seq < table.size; seq++) if (table.agentRefAt(seq) === agentRef) visit(table.timestampAt(seq));
      });
    }
    const decided = state.agents.get(agent) ?? [];
    const last = decided.slice(Math.max(0, decided.length - windowSize));
    const ok = last.reduce((n, code) => n + (code & 1), 0);
    views.push({
      agent_name: agent,
      rolling_success_rate: last.length > 0 ? ok / last.length : null,
      window: last.length,
      invocation_count: seen.count,
      last_seen: seen.times.max ?? '',
    });
  }
  return views;
}
