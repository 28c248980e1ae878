/**
 * Strands Agents TS (the real @strands-agents/sdk) exporting its own OpenTelemetry spans to a
 * real `oak-telemetry receive --otlp` process: a swarm of a coordinator and two specialists,
 * models scripted through Strands' own extension point (a Model subclass), no network. The
 * spans leave through Strands' own set-up (setupTracer with the OTLP exporter, which reads
 * OTEL_EXPORTER_OTLP_ENDPOINT), the real OTLP/HTTP JSON exporter in its peer range. A daemon
 * follows the dir the receiver writes, from before the first span, and comes to a replay's answers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Agent, Model, Swarm, tool, type BaseModelConfig, type Message, type ModelStreamEvent } from '@strands-agents/sdk';
import { setupTracer } from '@strands-agents/sdk/telemetry';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, DaemonProcess, killAllDaemons, startOtlpReceiver } from '../support/daemonHarness.js';
import { expectDaemonEqualsReplay, startFollowingDaemon } from '../support/followingDaemon.js';
import { TempDirs } from '../support/tempDirs.js';

const run = promisify(execFile);
const dirs = new TempDirs();
let receiver: DaemonProcess;
let dir: string;
let provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };

beforeAll(async () => {
  dir = dirs.make('oak-otlp-strands-');
  const started = await startOtlpReceiver(dir);
  receiver = started.receiver;
  // As a user points Strands at oak-telemetry: the standard OTLP variables, then setupTracer.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = started.url;
  process.env.OTEL_SERVICE_NAME = 'strands-scenario';
  provider = setupTracer({ exporters: { otlp: true } });
});
afterAll(async () => {
  await provider.shutdown();
  await receiver.kill9();
  await killAllDaemons();
  dirs.removeAll();
});

type Step = { readonly tool: string; readonly input: Record<string, unknown> } | Error;

/** A model that answers from a script, one tool call per turn; an Error in the script is thrown. */
class ScriptedModel extends Model {
  private config: BaseModelConfig = { modelId: 'scripted' };

  constructor(private readonly script: Step[]) {
    super();
  }

  updateConfig(config: BaseModelConfig): void {
    this.config = { ...this.config, ...config };
  }

  getConfig(): BaseModelConfig {
    return this.config;
  }

  async *stream(_messages: Message[]): AsyncIterable<ModelStreamEvent> {
    const next = this.script.shift() ?? new Error('the script has no more responses');
    if (next instanceof Error) throw next;
    yield { type: 'modelMessageStartEvent', role: 'assistant' };
    yield { type: 'modelContentBlockStartEvent', start: { type: 'toolUseStart', name: next.tool, toolUseId: `call-${next.tool}-${String(this.script.length)}` } };
    yield { type: 'modelContentBlockDeltaEvent', delta: { type: 'toolUseInputDelta', input: JSON.stringify(next.input) } };
    yield { type: 'modelContentBlockStopEvent' };
    yield { type: 'modelMessageStopEvent', stopReason: 'toolUse' };
  }
}

/** A swarm's agent hands off (or answers) through the swarm's structured-output tool. */
const route = (input: { agentId?: string; message: string }): Step => ({ tool: 'strands_structured_output', input });

/**
 * One run, one trace: the coordinator hands to the researcher, who searches and hands to the
 * writer, who answers. `fault` makes the writer's model throw, or the researcher's search tool.
 */
async function runScenario(fault: 'none' | 'model' | 'tool'): Promise<string> {
  const search = tool({
    name: 'search',
    description: 'searches the archive',
    inputSchema: z.object({ q: z.string() }),
    callback: () => (fault === 'tool' ? Promise.reject(new Error('search backend down')) : Promise.resolve({ hits: 3 })),
  });
  const agent = (name: string, script: Step[], tools = [search].slice(0, name === 'researcher' ? 1 : 0)) =>
    new Agent({ name, id: name, description: `the ${name}`, model: new ScriptedModel(script), tools, printer: false });
  const swarm = new Swarm({
    nodes: [
      agent('coordinator', [route({ agentId: 'researcher', message: 'find the facts' })]),
      agent('researcher', [{ tool: 'search', input: { q: 'otlp' } }, route({ agentId: 'writer', message: 'write it up' })]),
      agent('writer', [fault === 'model' ? new Error('writer model unavailable') : route({ message: 'the report' })]),
    ],
    start: 'coordinator',
    maxSteps: 10,
  });
  return (await swarm.invoke('write the report')).status;
}

async function cliJson(command: string): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, command, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

describe('Strands Agents TS, its native OpenTelemetry spans into receive --otlp', () => {
  it('a swarm of a coordinator and two specialists, with a failing model and a failing tool, gives the hand-computed answers', async () => {
    const following = await startFollowingDaemon(dir);
    // The swarm's own results: the writer's model failing fails the swarm; a failing tool is
    // answered to the model, which goes on.
    expect(await runScenario('none')).toBe('COMPLETED');
    expect(await runScenario('model')).toBe('FAILED');
    expect(await runScenario('tool')).toBe('COMPLETED');
    await provider.forceFlush();

    // Each agent once per run (its node span and its invoke_agent span are one invocation);
    // the writer failed in the run where its model threw.
    const stats = (await cliJson('stats')) as { total_invocations: number; agents: Record<string, { invocation_count: number; success_rate: number; common_failures: string[] }> };
    expect(stats.total_invocations).toBe(9);
    const perAgent = Object.fromEntries(Object.entries(stats.agents).map(([name, a]) => [name, [a.invocation_count, a.success_rate, a.common_failures]]));
    expect(perAgent).toEqual({ coordinator: [3, 1, []], researcher: [3, 1, []], writer: [3, 0.667, ['writer model unavailable']] });

    // Three swarm runs; the one whose writer failed is a failed workflow (Strands ends the swarm
    // span OK, its failed node says it).
    const workflows = (await cliJson('workflows')) as Record<string, unknown>;
    expect({ ...workflows, avg_duration_minutes: 0 }).toEqual({
      total_workflows: 3,
      avg_duration_minutes: 0,
      success_rate: 0.667,
      avg_agents_per_workflow: 3,
      most_common_patterns: [{ pattern: 'coordinator→researcher→writer', count: 3 }],
    });

    // The order of the swarm's nodes: coordinator -> researcher -> writer in every run.
    const handoffs = (await cliJson('handoffs')) as { handoffs: number; pairs: { items: unknown[] } };
    expect(handoffs.handoffs).toBe(6);
    expect(handoffs.pairs.items).toEqual([
      { from_agent: 'coordinator', to_agent: 'researcher', handoffs: 3, workflows: 3, artifacts: 0, completed: 3, success_rate: 2 / 3 },
      { from_agent: 'researcher', to_agent: 'writer', handoffs: 3, workflows: 3, artifacts: 0, completed: 3, success_rate: 2 / 3 },
    ]);
    expect(receiver.hasExited).toBe(false);

    // The daemon that followed the dir while the spans came in agrees with a replay of it.
    expect((await expectDaemonEqualsReplay(following)).stats.total_invocations).toBe(9);
  });
});
