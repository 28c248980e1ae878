import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { stringifyJson } from '../domain/jsonText.js';
import { parseTimestampUs } from '../domain/time.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import * as q from '../queries/telemetryQueries.js';
import { workflowStatus } from '../queries/workflowStatus.js';

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

  server.registerTool(
    'history',
    {
      description: "Runs, success rate and coordination overhead per UTC day (or hour when the data spans 48 h or less), by the data's own timestamps, with runs per agent.",
      inputSchema: {
        bucket: z.enum(['auto', 'hour', 'day']).optional().describe('bucket size (default auto)'),
        project: z.string().min(1).max(1000).optional().describe('only workflows of this project and their invocations'),
        since: z.string().min(1).max(64).optional().describe('ISO-8601: from this hour on'),
        until: z.string().min(1).max(64).optional().describe('ISO-8601: up to this hour, not included'),
      },
    },
    async ({ bucket, project, since, until }) => {
      const sinceUs = since === undefined ? undefined : parseTimestampUs(since);
      const untilUs = until === undefined ? undefined : parseTimestampUs(until);
      if (Number.isNaN(sinceUs) || Number.isNaN(untilUs)) return refusal('since and until must be ISO-8601 times');
      return answer(q.history(source.current(), { bucket: bucket ?? 'auto', project, sinceUs, untilUs }));
    },
  );

  return server;
}
