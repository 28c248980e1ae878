/**
 * The figures `npm run demo:claude-code` prints after each prompt, read from the live daemon's
 * HTTP API (the same documents the dashboard shows), once the daemon has applied every line the
 * hooks wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';

export interface AgentFigures {
  readonly invocation_count: number;
  readonly success_rate: number | null;
}

export interface DaemonFigures {
  readonly invocations: number;
  readonly workflows: number;
  readonly workflowSuccessRate: number | null;
  readonly handoffs: number;
  readonly agents: ReadonlyMap<string, AgentFigures>;
}

interface SnapshotHealth {
  health: { events_applied: number; lines_rejected: number };
}

async function getJson<T>(baseUrl: string, route: string): Promise<T> {
  const response = await fetch(new URL(route, baseUrl));
  if (!response.ok) throw new Error(`GET ${route}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Complete lines in the three telemetry files: what the daemon has to have read. */
function linesWritten(dir: string): number {
  let lines = 0;
  for (const kind of SOURCE_KINDS) {
    let text = '';
    try {
      text = fs.readFileSync(path.join(dir, SOURCE_FILES[kind]), 'utf8');
    } catch {
      continue; // not written yet
    }
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  }
  return lines;
}

/** Resolves true once the daemon has applied (or rejected) every line in `dir`, false after `timeoutMs`. */
export async function waitForDaemon(baseUrl: string, dir: string, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { health } = await getJson<SnapshotHealth>(baseUrl, 'api/v1/snapshot');
    if (health.events_applied + health.lines_rejected >= linesWritten(dir)) return true;
    if (Date.now() > until) return false;
    // The daemon publishes no "caught up to N" event over HTTP that a script could wait on; a short poll will do.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function readFigures(baseUrl: string): Promise<DaemonFigures> {
  const [stats, workflows, handoffs] = await Promise.all([
    getJson<{ total_invocations: number; agents: Record<string, AgentFigures> }>(baseUrl, 'api/v1/stats'),
    getJson<{ total_workflows: number; success_rate: number | null }>(baseUrl, 'api/v1/workflows'),
    getJson<{ handoffs: number }>(baseUrl, 'api/v1/handoffs'),
  ]);
  const agents = new Map(Object.entries(stats.agents).sort(([a], [b]) => a.localeCompare(b)));
  return {
    invocations: stats.total_invocations,
    workflows: workflows.total_workflows,
    workflowSuccessRate: workflows.success_rate,
    handoffs: handoffs.handoffs,
    agents,
  };
}

const percent = (rate: number | null): string => (rate === null ? '-' : `${Math.round(rate * 100)}%`);

/** `invocations 4 · workflows 3, 67% ok · hand-offs 4 · backend-architect 2 runs 50% · ...` */
export function formatFigures(f: DaemonFigures): string {
  const agents = [...f.agents].map(([name, a]) => `${name} ${a.invocation_count} run${a.invocation_count === 1 ? '' : 's'} ${percent(a.success_rate)}`);
  return [`invocations ${f.invocations}`, `workflows ${f.workflows}, ${percent(f.workflowSuccessRate)} ok`, `hand-offs ${f.handoffs}`, ...agents].join(' · ');
}
