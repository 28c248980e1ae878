/**
 * `npm run demo`: writes a sample multi-agent run through the TelemetryLogger into a temp
 * directory, then prints the report over it. The clock is simulated so that the durations
 * and gaps look like a real afternoon of agents at work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TelemetryLogger } from '../src/logger/telemetryLogger.js';
import { replayDirectory } from '../src/io/replayFiles.js';
import { renderReport } from '../src/cli/reportCommand.js';

interface Step {
  agent: string;
  type: string;
  task: string;
  taskType: string;
  minutes: number;
  status: 'success' | 'failure' | 'partial';
  quality: number;
  error?: string;
}

const WORKFLOWS: Array<{ project: string; steps: Step[]; gapMinutes: number }> = [
  {
    project: 'checkout-service',
    gapMinutes: 3,
    steps: [
      { agent: 'systems-architect', type: 'architecture', task: 'Design the payment API schema', taskType: 'architecture_design', minutes: 25, status: 'success', quality: 5 },
      { agent: 'backend-architect', type: 'development', task: 'Implement payment API endpoints', taskType: 'api_development', minutes: 40, status: 'success', quality: 4 },
      { agent: 'qa-specialist', type: 'quality', task: 'Test payment API endpoints', taskType: 'testing', minutes: 15, status: 'success', quality: 4 },
    ],
  },
  {
    project: 'checkout-service',
    gapMinutes: 12,
    steps: [
      { agent: 'backend-architect', type: 'development', task: 'Add refund endpoint to payment API', taskType: 'api_development', minutes: 30, status: 'failure', quality: 2, error: 'migration failed: column refunds.amount' },
      { agent: 'debug-specialist', type: 'quality', task: 'Fix refund migration', taskType: 'bug_fix', minutes: 20, status: 'success', quality: 4 },
      { agent: 'backend-architect', type: 'development', task: 'Finish refund endpoint', taskType: 'api_development', minutes: 18, status: 'success', quality: 4 },
    ],
  },
  {
    project: 'storefront',
    gapMinutes: 5,
    steps: [
      { agent: 'frontend-developer', type: 'development', task: 'Build product listing page in React', taskType: 'ui_development', minutes: 35, status: 'success', quality: 5 },
      { agent: 'qa-specialist', type: 'quality', task: 'Write end-to-end tests for listing page', taskType: 'testing', minutes: 22, status: 'partial', quality: 3 },
    ],
  },
];

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-telemetry-demo-'));
  let now = Date.parse('2026-11-20T13:00:00Z');
  const clock = () => new Date(now);
  const advance = (minutes: number) => {
    now += minutes * 60_000;
  };
  const logger = new TelemetryLogger({ dir, clock, sessionId: 'demo-session' });

  for (const [i, wf] of WORKFLOWS.entries()) {
    const workflowId = `demo-wf-${i + 1}`;
    const startedAt = now;
    logger.logWorkflowStart({ workflowId, projectName: wf.project, agentPlan: wf.steps.map((s) => s.agent), estimatedDuration: 3600 });
    let previous: string | undefined;
    for (const step of wf.steps) {
      advance(wf.gapMinutes);
      if (previous !== undefined) logger.logAgentHandoff({ workflowId, fromAgent: previous, toAgent: step.agent, artifacts: [`artifacts/${previous}/out.md`] });
      const id = logger.logInvocation({ agentName: step.agent, agentType: step.type, taskDescription: step.task, taskType: step.taskType, workflowId });
      advance(step.minutes);
      logger.updateInvocation(id, { durationSeconds: step.minutes * 60, status: step.status, errorMessage: step.error });
      logger.logSuccessMetric({ invocationId: id, success: step.status === 'success', qualityRating: step.quality });
      previous = step.agent;
    }
    advance(wf.gapMinutes);
    logger.logWorkflowComplete({
      workflowId,
      durationSeconds: Math.round((now - startedAt) / 1000),
      success: wf.steps.every((s) => s.status !== 'failure') || wf.steps[wf.steps.length - 1]?.status === 'success',
      agentsExecuted: wf.steps.map((s) => s.agent),
    });
    advance(30);
  }

  // One workflow still running: its second agent has been invoked and not yet updated.
  logger.logWorkflowStart({ workflowId: 'demo-wf-4', projectName: 'storefront', agentPlan: ['systems-architect', 'frontend-developer'], estimatedDuration: 5400 });
  advance(2);
  const design = logger.logInvocation({ agentName: 'systems-architect', agentType: 'architecture', taskDescription: 'Design cart state management', taskType: 'architecture_design', workflowId: 'demo-wf-4' });
  advance(20);
  logger.updateInvocation(design, { durationSeconds: 1200, status: 'success' });
  logger.logAgentHandoff({ workflowId: 'demo-wf-4', fromAgent: 'systems-architect', toAgent: 'frontend-developer' });
  advance(1);
  logger.logInvocation({ agentName: 'frontend-developer', agentType: 'development', taskDescription: 'Build cart drawer in React', taskType: 'ui_development', workflowId: 'demo-wf-4' });
  advance(10);

  const ingest = replayDirectory(dir);
  process.stdout.write(renderReport(`oak-telemetry demo: telemetry written to ${dir}`, ingest.state, now * 1000) + '\n\n');
  process.stdout.write(`Try: npx oak-telemetry best-agent --dir ${dir} --task "payment API endpoint" --all\n`);
}

main();
