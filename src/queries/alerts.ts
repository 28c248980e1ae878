import * as rollingSuccess from '../projections/folds/rollingSuccess.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { openOlderThan, recentOverhead } from './telemetryQueries.js';

/** What the alerts watch, and when they fire. */
export interface AlertSettings {
  readonly overhead: { readonly thresholdPct: number; readonly hysteresisPct: number; readonly window: number };
  readonly openWorkflow: { readonly maxAgeHours: number };
  readonly agentSuccess: { readonly floor: number; readonly minRuns: number; readonly window: number };
}

export type AlertName = 'coordination_overhead' | 'open_workflow_too_long' | 'agent_success_low';

/** One condition as evaluated now: whether it should fire, and whether a firing one may clear. */
export interface AlertCheck {
  readonly key: string;
  readonly alert: AlertName;
  readonly raise: boolean;
  readonly clear: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

const TOP_CONTRIBUTORS = 5;
const LISTED_WORKFLOWS = 10;

/** Evaluates every alert condition over the state at `nowUs`. Pure. */
export function checkAlerts(state: TelemetryState, settings: AlertSettings, nowUs: number): AlertCheck[] {
  const checks: AlertCheck[] = [];

  const { thresholdPct, hysteresisPct, window } = settings.overhead;
  const recent = recentOverhead(state, window);
  const pct = recent.view.coordination_overhead_pct;
  const counted = recent.view.workflows_counted > 0;
  checks.push({
    key: 'coordination_overhead',
    alert: 'coordination_overhead',
    raise: counted && pct > thresholdPct,
    // A window whose completes have no agent time yet (their invocations not read yet) says
    // nothing: hold. Only the absence of any completed workflow clears without a figure.
    clear: counted ? pct < thresholdPct - hysteresisPct : state.workflows.completedCount === 0,
    details: {
      overhead_pct: pct,
      threshold_pct: thresholdPct,
      window,
      workflows_counted: recent.view.workflows_counted,
      top_contributors: recent.workflows
        .map((w) => ({ workflow_id: w.workflowId, coordination_seconds: w.workflowSeconds - w.agentSeconds }))
        .sort((a, b) => b.coordination_seconds - a.coordination_seconds)
        .slice(0, TOP_CONTRIBUTORS),
    },
  });

  const maxAgeSeconds = settings.openWorkflow.maxAgeHours * 3600;
  const tooLong = openOlderThan(state, nowUs, maxAgeSeconds, LISTED_WORKFLOWS);
  checks.push({
    key: 'open_workflow_too_long',
    alert: 'open_workflow_too_long',
    raise: tooLong.count > 0,
    clear: tooLong.count === 0,
    details: {
      max_age_hours: settings.openWorkflow.maxAgeHours,
      count: tooLong.count,
      oldest: tooLong.items.map((w) => ({ workflow_id: w.workflow_id, age_seconds: w.age_seconds, running_agent: w.running_agent })),
    },
  });

  const { floor, minRuns } = settings.agentSuccess;
  for (const agent of rollingSuccess.query(state.rolling, state.ledger, settings.agentSuccess.window)) {
    const rate = agent.rolling_success_rate;
    const enough = agent.window >= minRuns && rate !== null;
    checks.push({
      key: `agent_success_low:${agent.agent_name}`,
      alert: 'agent_success_low',
      raise: enough && (rate as number) < floor,
      clear: !enough || (rate as number) >= floor,
      details: { agent: agent.agent_name, rolling_success_rate: rate, floor, runs: agent.window },
    });
  }
  return checks;
}

export interface ActiveAlert {
  readonly key: string;
  readonly alert: AlertName;
  readonly since: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AlertTransitions {
  readonly active: ReadonlyMap<string, ActiveAlert>;
  readonly raised: readonly ActiveAlert[];
  readonly resolved: readonly ActiveAlert[];
}

/**
 * Edge-triggered: an alert is raised when its condition starts to hold and resolved only when
 * its clear condition holds (the overhead alert clears below threshold minus hysteresis), so a
 * value hovering at the threshold does not flap. Firing alerts keep their latest details.
 */
export function transition(active: ReadonlyMap<string, ActiveAlert>, checks: readonly AlertCheck[], nowIso: string): AlertTransitions {
  const next = new Map<string, ActiveAlert>();
  const raised: ActiveAlert[] = [];
  const resolved: ActiveAlert[] = [];
  const seen = new Set<string>();
  for (const check of checks) {
    seen.add(check.key);
    const current = active.get(check.key);
    if (current === undefined) {
      if (check.raise) {
        const alert = { key: check.key, alert: check.alert, since: nowIso, details: check.details };
        next.set(check.key, alert);
        raised.push(alert);
      }
    } else if (check.clear) {
      resolved.push({ ...current, details: check.details });
    } else {
      next.set(check.key, { ...current, details: check.details });
    }
  }
  // A condition that no longer exists (its agent's records were replaced) is resolved too.
  for (const [key, alert] of active) if (!seen.has(key)) resolved.push(alert);
  return { active: next, raised, resolved };
}
