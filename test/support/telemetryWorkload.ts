/**
 * Writes realistic telemetry into a directory through the real TelemetryLogger (append-only,
 * one write per line): whole workflows with their invocations, outcome updates, quality
 * ratings, hand-offs and completion. Deterministic: ids and times come from counters.
 */
import { TelemetryLogger } from '../../src/logger/telemetryLogger.js';

const AGENTS = [
  ['backend-architect', 'development', 'api_design'],
  ['code-reviewer', 'quality', 'code_review'],
  ['technical-writer', 'documentation', 'documentation'],
  ['security-auditor', 'security', 'security_audit'],
  ['frontend-developer', 'development', 'implementation'],
] as const;
const WORDS = ['payment', 'cache', 'login', 'schema', 'search', 'react', 'deploy', 'metrics', 'résumé', '日本語'];

export interface WorkflowSpec {
  /** Agents run in the workflow (default 3). */
  readonly agents?: number;
  /** Time from start to complete, in seconds (default: the agents' time plus 10%). */
  readonly workflowSeconds?: number;
  /** Duration of each invocation (default 30 + a few seconds). */
  readonly agentSeconds?: number;
  /** Every k-th invocation fails (default 4; 0 = never). */
  readonly failEvery?: number;
  /** Leave the workflow open: no workflow_complete line. */
  readonly open?: boolean;
  /** estimated_duration of the start line, in seconds (default: none). */
  readonly estimateSeconds?: number;
}

export class Workload {
  private clockMs: number;
  private ids = 0;
  private workflowsWritten = 0;
  private invocationCount = 0;
  readonly invocationIds: string[] = [];

  constructor(
    readonly dir: string,
    readonly prefix = 'live',
    startIso = '2026-11-20T00:00:00Z',
  ) {
    this.clockMs = Date.parse(startIso);
  }

  private logger(session: string): TelemetryLogger {
    return new TelemetryLogger({
      dir: this.dir,
      sessionId: session,
      clock: () => new Date(this.clockMs),
      newId: () => `${this.prefix}-inv-${++this.ids}`,
      env: {},
    });
  }

  /** One whole workflow; returns its id. Lines: 1 start + 3 per agent + (agents - 1) hand-offs + 1 complete. */
  workflow(spec: WorkflowSpec = {}): string {
    const n = this.workflowsWritten++;
    const workflowId = `${this.prefix}-wf-${n}`;
    const logger = this.logger(`${this.prefix}-session-${n}`);
    const agentCount = spec.agents ?? 3;
    const plan = Array.from({ length: agentCount }, (_, i) => AGENTS[(n + i) % AGENTS.length] as (typeof AGENTS)[number]);
    const began = this.clockMs;
    logger.logWorkflowStart({ workflowId, projectName: `Project ${n % 7}`, agentPlan: plan.map((a) => a[0]), estimatedDuration: spec.estimateSeconds ?? null });
    let agentTotal = 0;
    plan.forEach(([agentName, agentType, taskType], i) => {
      this.clockMs += 1000;
      const failEvery = spec.failEvery ?? 4;
      const ordinal = ++this.invocationCount;
      const failed = failEvery > 0 && ordinal % failEvery === 0;
      const duration = spec.agentSeconds ?? 30 + (ordinal % 7) * 1.5;
      agentTotal += duration;
      const id = logger.logInvocation({
        agentName,
        agentType,
        taskDescription: `${WORDS[ordinal % WORDS.length]} ${WORDS[(ordinal * 3) % WORDS.length]} task ${ordinal}`,
        taskType,
        workflowId,
        toolsUsed: ['Read', 'Edit'],
      });
      this.invocationIds.push(id);
      logger.updateInvocation(id, {
        durationSeconds: duration,
        status: failed ? 'failure' : 'success',
        ...(failed ? { errorMessage: 'timeout after 600s' } : {}),
      });
      logger.logSuccessMetric({ invocationId: id, success: !failed, qualityRating: 1 + (ordinal % 5) });
      const next = plan[i + 1];
      if (next !== undefined) logger.logAgentHandoff({ workflowId, fromAgent: agentName, toAgent: next[0] });
    });
    const workflowSeconds = spec.workflowSeconds ?? Math.round(agentTotal * 1.1);
    if (!spec.open) {
      this.clockMs = began + workflowSeconds * 1000;
      logger.logWorkflowComplete({ workflowId, durationSeconds: workflowSeconds, success: true, agentsExecuted: plan.map((a) => a[0]) });
    }
    this.clockMs += 1000;
    return workflowId;
  }

  workflows(count: number, spec: WorkflowSpec = {}): string[] {
    return Array.from({ length: count }, () => this.workflow(spec));
  }

  /** Appends an update line for an invocation already written (a replacement record). */
  reupdate(invocationId: string, durationSeconds: number, status: 'success' | 'failure' | 'partial'): void {
    this.logger(`${this.prefix}-session-updates`).updateInvocation(invocationId, { durationSeconds, status });
  }
}
