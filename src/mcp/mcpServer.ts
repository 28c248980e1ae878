import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { stringifyJson } from '../domain/jsonText.js';
import { formatTimestampUs } from '../domain/time.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { executedOf, FAILED, NOT_COMPLETED, planOf, projectOf } from '../projections/folds/workflowDetails.js';
import * as q from '../queries/telemetryQueries.js';

/** Where the tools read the state: brought up to date with the files before each call. */
export interface McpStateSource {
  current(): TelemetryState;
  /** Epoch milliseconds. */
  clock(): number;
  readonly overheadWindow: number;
}

type ToolResult = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

const answer = (value: unknown): ToolResult => ({ content: [{ type: 'text', text: stringifyJson(value) }] });
const refusal = (message: string): ToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

/** A workflow as one document: open or completed, with what the state knows of it. */
export function workflowStatus(state: TelemetryState, workflowId: string, nowUs: number) {
  const ref = state.ledger.table.workflows.find(workflowId);
  if (ref < 0) return null;
  const details = state.details;
  const timings = state.timings;
  const open = q.open(state, nowUs).find((w) => w.workflow_id === workflowId);
  const success = details.success.get(ref);
  const startUs = timings.startTime.get(ref);
  const completeUs = timings.completeTime.get(ref);
  return {
    workflow_id: workflowId,
    status: success !== NOT_COMPLETED ? 'completed' : open !== undefined ? 'open' : 'not started',
    project: projectOf(details, ref),
    plan: planOf(details, ref),
    started_at: Number.isNaN(startUs) ? null : formatTimestampUs(startUs),
    agents_so_far: open?.agents ?? null,
    running_agent: open?.running_agent ?? null,
    completed_at: Number.isNaN(completeUs) ? null : formatTimestampUs(completeUs),
    duration_seconds: Number.isNaN(timings.completeDuration.get(ref)) ? null : timings.completeDuration.get(ref),
    success: success === NOT_COMPLETED ? null : success !== FAILED,
    agents_executed: executedOf(details, ref),
  };
}

/**
 * The tools an agent calls to ask the telemetry directly, over the same queries as the CLI.
 * Inputs are checked against their schemas by the SDK; a question without an answer (an
 * unknown agent or workflow) is an error result, never a crash.
 */
export function buildMcpServer(source: McpStateSource, version: string): McpServer {
  const server = new McpServer({ name: 'oak-telemetry', version });
  const nowUs = () => source.clock() * 1000;

  server.registerTool(
    'best_agent',
    {
      description: 'The agent with the best record on tasks like this one (confidence, success rate, average minutes, tasks, 30-day trend).',
      inputSchema: {
        task: z.string().min(1).max(4096).describe('the task, in words'),
        domain: z.string().max(200).optional().describe('prefer agents whose type or task type contains this'),
        min_confidence: z.number().min(0).max(1).optional().describe('lowest confidence to report (default 0.5)'),
        all: z.boolean().optional().describe('list every agent at or above the minimum confidence'),
      },
    },
    async ({ task, domain, min_confidence, all }) => {
      const matches = q.bestAgents(source.current(), { task, domain, minConfidence: min_confidence, nowUs: nowUs() });
      return answer(all === true ? matches : (matches[0] ?? null));
    },
  );

  server.registerTool(
    'agent_stats',
    {
      description: "One agent's statistics: invocations, success rate, quality, duration, common task types and failures.",
      inputSchema: { agent: z.string().min(1).max(1000) },
    },
    async ({ agent }) => {
      const stats = q.stats(source.current());
      const entry = Object.prototype.hasOwnProperty.call(stats.agents, agent) ? stats.agents[agent] : undefined;
      return entry === undefined ? refusal(`no invocations of agent ${JSON.stringify(agent)}`) : answer({ agent_name: agent, ...entry });
    },
  );

  server.registerTool(
    'agent_trend',
    {
      description: "An agent's success rate in the last 7 days against the days before (default 30).",
      inputSchema: { agent: z.string().min(1).max(1000), days: z.number().int().min(1).max(100000).optional() },
    },
    async ({ agent, days }) => answer(q.trends(source.current(), agent, days ?? q.DEFAULT_TREND_DAYS, nowUs())),
  );

  server.registerTool(
    'workflow_status',
    {
      description: 'Where a workflow stands: open (agents so far, running agent) or completed (duration, success, agents executed).',
      inputSchema: { workflow_id: z.string().min(1).max(1000) },
    },
    async ({ workflow_id }) => {
      const status = workflowStatus(source.current(), workflow_id, nowUs());
      return status === null ? refusal(`no workflow ${JSON.stringify(workflow_id)} in the telemetry`) : answer(status);
    },
  );

  server.registerTool(
    'open_workflows',
    { description: 'Workflows started and not completed, oldest first, with their agents so far and the running one.', inputSchema: {} },
    async () => answer(q.open(source.current(), nowUs())),
  );

  server.registerTool(
    'coordination_overhead',
    { description: 'Share of workflow time spent outside agents: over all completed workflows and over the alert window.', inputSchema: {} },
    async () => {
      const state = source.current();
      const recent = q.recentOverhead(state, source.overheadWindow).view;
      return answer({ ...q.overhead(state), window: { workflows: source.overheadWindow, ...recent } });
    },
  );

  return server;
}
