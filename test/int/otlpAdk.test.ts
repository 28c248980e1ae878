/**
 * Google ADK JS (the real @google/adk) exporting its own OpenTelemetry spans to a real
 * `oak-telemetry receive --otlp` process: a coordinator LlmAgent with two specialist sub-agents,
 * models scripted through ADK's own extension point (a BaseLlm subclass), no network. ADK
 * delegates by the model calling `transfer_to_agent`; its spans go through ADK's own provider
 * set-up (maybeSetOtelProviders) to the real OTLP/protobuf exporter. A daemon follows the dir
 * the receiver writes, from before the first span, and comes to a replay's answers.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BaseLlm, FunctionTool, InMemoryRunner, LlmAgent, maybeSetOtelProviders, type BaseLlmConnection, type LlmRequest, type LlmResponse } from '@google/adk';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, DaemonProcess, killAllDaemons, startOtlpReceiver } from '../support/daemonHarness.js';
import { expectDaemonEqualsReplay, startFollowingDaemon } from '../support/followingDaemon.js';
import { TempDirs } from '../support/tempDirs.js';

const run = promisify(execFile);
const dirs = new TempDirs();
let receiver: DaemonProcess;
let dir: string;
let spans: BatchSpanProcessor;

beforeAll(async () => {
  dir = dirs.make('oak-otlp-adk-');
  const started = await startOtlpReceiver(dir);
  receiver = started.receiver;
  // ADK's own way to add span processors to the global provider its tracer writes to.
  spans = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${started.url}/v1/traces` }));
  maybeSetOtelProviders([{ spanProcessors: [spans] }]);
});
afterAll(async () => {
  await spans.shutdown();
  await receiver.kill9();
  await killAllDaemons();
  dirs.removeAll();
});

/** A model that answers from a script, one response per call; an Error in the script is thrown. */
class ScriptedLlm extends BaseLlm {
  constructor(private readonly script: Array<LlmResponse | Error>) {
    super({ model: 'scripted' });
  }

  async *generateContentAsync(_request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    const next = this.script.shift() ?? new Error('the script has no more responses');
    if (next instanceof Error) throw next;
    yield next;
  }

  connect(_request: LlmRequest): Promise<BaseLlmConnection> {
    return Promise.reject(new Error('no live connection in a scripted model'));
  }
}

const call = (name: string, args: Record<string, unknown>): LlmResponse => ({ content: { role: 'model', parts: [{ functionCall: { name, args } }] } });
const text = (words: string): LlmResponse => ({ content: { role: 'model', parts: [{ text: words }] } });

/**
 * One run, one trace: the coordinator transfers to the researcher, who searches and transfers
 * back; the coordinator transfers to the writer, who answers. `fault` makes the writer's model
 * throw, or the researcher's search tool.
 */
async function runScenario(fault: 'none' | 'model' | 'tool'): Promise<void> {
  const search = new FunctionTool({
    name: 'search',
    description: 'searches the archive',
    execute: () => (fault === 'tool' ? Promise.reject(new Error('search backend down')) : Promise.resolve({ hits: 3 })),
  });
  const researcher = new LlmAgent({
    name: 'researcher',
    description: 'finds facts',
    model: new ScriptedLlm([call('search', { q: 'otlp' }), call('transfer_to_agent', { agentName: 'coordinator' })]),
    tools: [search],
  });
  const writer = new LlmAgent({ name: 'writer', description: 'writes the report', model: new ScriptedLlm([fault === 'model' ? new Error('writer model unavailable') : text('the report')]) });
  const coordinator = new LlmAgent({
    name: 'coordinator',
    description: 'plans the work',
    model: new ScriptedLlm([call('transfer_to_agent', { agentName: 'researcher' }), call('transfer_to_agent', { agentName: 'writer' })]),
    subAgents: [researcher, writer],
  });
  const runner = new InMemoryRunner({ agent: coordinator, appName: 'adk-scenario' });
  const session = await runner.sessionService.createSession({ appName: 'adk-scenario', userId: 'user' });
  const authors: string[] = [];
  for await (const event of runner.runAsync({ userId: 'user', sessionId: session.id, newMessage: { role: 'user', parts: [{ text: 'write the report' }] } })) {
    authors.push(`${event.author ?? '?'}${event.errorCode === undefined ? '' : ` ${event.errorCode}`}`);
  }
  // The run went as scripted (ADK turns a model's exception into an error event).
  expect(authors.at(-1)).toBe(fault === 'model' ? 'writer UNKNOWN_ERROR' : 'writer');
}

async function cliJson(command: string): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, command, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

describe('Google ADK JS, its native OpenTelemetry spans into receive --otlp', () => {
  it('a coordinator transferring to two specialists, with a failing model and a failing tool, gives the hand-computed answers', async () => {
    const following = await startFollowingDaemon(dir);
    await runScenario('none');
    await runScenario('model');
    await runScenario('tool');
    await spans.forceFlush();

    // Per run: the coordinator twice (it is transferred back to), the researcher and the writer
    // once. ADK 2.0.0 ends its spans without an error status or exception event when a model or
    // tool throws (it turns the exception into an error event, or a function response the model
    // reads), so every invocation is a success as exported; see docs/otlp.md.
    const stats = (await cliJson('stats')) as { total_invocations: number; agents: Record<string, { invocation_count: number; success_rate: number; common_failures: string[] }> };
    expect(stats.total_invocations).toBe(12);
    const perAgent = Object.fromEntries(Object.entries(stats.agents).map(([name, a]) => [name, [a.invocation_count, a.success_rate, a.common_failures]]));
    expect(perAgent).toEqual({ coordinator: [6, 1, []], researcher: [3, 1, []], writer: [3, 1, []] });

    const workflows = (await cliJson('workflows')) as Record<string, unknown>;
    expect({ ...workflows, avg_duration_minutes: 0 }).toEqual({
      total_workflows: 3,
      avg_duration_minutes: 0,
      success_rate: 1,
      avg_agents_per_workflow: 3,
      most_common_patterns: [{ pattern: 'coordinator→researcher→writer', count: 3 }],
    });

    // Each transfer_to_agent call once (the transferred agent also runs nested in the caller's
    // call_llm span: that is the same hand-off, not a second one).
    const handoffs = (await cliJson('handoffs')) as { handoffs: number; pairs: { items: unknown[] } };
    expect(handoffs.handoffs).toBe(9);
    const pair = (from: string, to: string) => ({ from_agent: from, to_agent: to, handoffs: 3, workflows: 3, artifacts: 0, completed: 3, success_rate: 1 });
    expect(handoffs.pairs.items).toEqual([pair('coordinator', 'researcher'), pair('coordinator', 'writer'), pair('researcher', 'coordinator')]);
    expect(receiver.hasExited).toBe(false);

    // The daemon that followed the dir while the spans came in agrees with a replay of it.
    expect((await expectDaemonEqualsReplay(following)).stats.total_invocations).toBe(12);
  });
});
