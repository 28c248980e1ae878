import type { TrendView, TrendWindows } from '../projections/views/agentTrends.js';
import { percent, plural } from './table.js';
import { oneLine } from './terminalText.js';

/**
 * An agent's trend for a person. The reference reads an empty window as a 0% success rate, so
 * its verdict against an empty window is "improving" or "declining" by the whole other rate:
 * the JSON keeps that, the table says the window is empty and compares nothing.
 */
export function renderTrend(agent: string, days: number, view: TrendView, windows: TrendWindows): string {
  const name = oneLine(agent);
  if (view.trend === 'insufficient_data') return `${name}: insufficient data (fewer than 2 invocations).`;
  const rate = (runs: number, ratio: number) => (runs === 0 ? 'no runs in this window' : `${percent(ratio)} success (${plural(runs, 'run')})`);
  const older = `7 to ${days} days ago:`;
  const label = (text: string) => text.padEnd(Math.max(older.length, 'last 7 days:'.length) + 1);
  const lines = [
    '',
    `  ${label('last 7 days:')}${rate(windows.recent_runs, view.recent_success_rate)}`,
    `  ${label(older)}${rate(windows.historical_runs, view.historical_success_rate)}`,
  ];
  if (windows.recent_runs === 0 || windows.historical_runs === 0) {
    const empty = windows.recent_runs === 0 && windows.historical_runs === 0 ? 'in either window' : windows.recent_runs === 0 ? 'in the last 7 days' : `7 to ${days} days ago`;
    lines[0] = `${name}: no trend (no runs ${empty} to compare with)`;
  } else {
    const sign = view.success_rate_change > 0 ? '+' : '';
    lines[0] = `${name}: ${view.trend}`;
    lines.push(`  ${label('change:')}${sign}${(view.success_rate_change * 100).toFixed(1)} points`);
  }
  return lines.join('\n');
}
