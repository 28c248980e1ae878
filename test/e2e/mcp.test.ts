/**
 * `oak-telemetry mcp` as an agent's MCP client sees it: the SDK's own client over stdio,
 * talking to the CLI as a process. Answers equal the CLI's --json; bad inputs are error
 * results and the server keeps answering; appended telemetry is seen on the next call.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { CLI, fixtureDir } from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const run = promisify(execFile);
const clients: Client[] = [];
const dirs = tempDirsPerTest(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect(dir: string): Promise<Client> {
  const client = new Client({ name: 'oak-telemetry-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--dir', dir], stderr: 'pipe' }));
  clients.push(client);
  return client;
}

type CallResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const text = (result: unknown) => ((result as CallResult).content[0]?.text ?? '') as string;

async function cliJson(dir: string, args: readonly string[]): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, ...args, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

describe('oak-telemetry mcp', () => {
  it('lists its seven tools with input schemas', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const client = await connect(dir);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['agent_stats', 'agent_trend', 'best_agent', 'coordination_overhead', 'history', 'open_workflows', 'workflow_status']);
    expect(tools.find((t) => t.name === 'best_agent')?.inputSchema.required).toEqual(['task']);
  });

  it('answers as the CLI does', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const client = await connect(dir);
    const task = 'write tests for the payment api';
    const best = await client.callTool({ name: 'best_agent', arguments: { task, all: true, min_confidence: 0.1 } });
    expect(JSON.parse(text(best))).toEqual(await cliJson(dir, ['best-agent', '--task', task, '--all', '--min-confidence', '0.1']));
    const stats = (await cliJson(dir, ['stats'])) as { agents: Record<string, unknown> };
    const agent = Object.keys(stats.agents)[0] as string;
    expect(JSON.parse(text(await client.callTool({ name: 'agent_stats', arguments: { agent } })))).toEqual({ agent_name: agent, ...(stats.agents[agent] as object) });
    expect(JSON.parse(text(await client.callTool({ name: 'agent_trend', arguments: { agent, days: 14 } })))).toEqual(await cliJson(dir, ['trends', agent, '--days', '14']));
    const overhead = JSON.parse(text(await client.callTool({ name: 'coordination_overhead', arguments: {} }))) as Record<string, unknown>;
    expect(overhead).toMatchObject((await cliJson(dir, ['overhead'])) as object);
    expect(overhead.window).toMatchObject({ workflows: 50 });
    const open = JSON.parse(text(await client.callTool({ name: 'open_workflows', arguments: {} }))) as Array<{ workflow_id: string; agents: string[] }>;
    expect(open.map((w) => w.workflow_id)).toEqual(((await cliJson(dir, ['open'])) as Array<{ workflow_id: string }>).map((w) => w.workflow_id));
    const status = JSON.parse(text(await client.callTool({ name: 'workflow_status', arguments: { workflow_id: open[0]!.workflow_id } })));
    expect(status).toMatchObject({ workflow_id: open[0]!.workflow_id, status: 'open', agents_so_far: open[0]!.agents });
    const done = JSON.parse(text(await client.callTool({ name: 'workflow_status', arguments: { workflow_id: 'wf-11-0000000' } })));
    expect(done).toMatchObject({ status: 'completed', success: expect.any(Boolean), agents_executed: expect.any(Array) });
    const history = await client.callTool({ name: 'history', arguments: { bucket: 'hour', project: 'Project 7', since: '2026-11-05T00:00:00Z' } });
    expect(JSON.parse(text(history))).toEqual(await cliJson(dir, ['history', '--bucket', 'hour', '--project', 'Project 7', '--since', '2026-11-05T00:00:00Z']));
  });

  it('bad inputs and unknown names are error results; the server keeps answering and follows the files', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const client = await connect(dir);
    const refused = async (name: string, args: Record<string, unknown>) => {
      try {
        const result = (await client.callTool({ name, arguments: args })) as CallResult;
        return result.isError === true;
      } catch {
        return true; // a protocol error (invalid params) is an MCP error too
      }
    };
    expect(await refused('best_agent', { task: 'x', min_confidence: 5 })).toBe(true);
    expect(await refused('best_agent', {})).toBe(true);
    expect(await refused('agent_trend', { agent: 'a', days: 0 })).toBe(true);
    expect(await refused('agent_stats', { agent: 'nobody-by-this-name' })).toBe(true);
    expect(await refused('workflow_status', { workflow_id: 'no-such-workflow' })).toBe(true);
    expect(await refused('no_such_tool', {})).toBe(true);
    // still answering, and a workflow appended now is seen on the next call
    const id = new Workload(dir, 'mcp').workflow();
    const status = JSON.parse(text(await client.callTool({ name: 'workflow_status', arguments: { workflow_id: id } })));
    expect(status).toMatchObject({ workflow_id: id, status: 'completed' });
  });
});

