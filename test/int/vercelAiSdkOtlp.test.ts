/**
 * The Vercel AI SDK (the real `ai` 6, experimental_telemetry) with the mock model from `ai/test`,
 * traced by the real OpenTelemetry SDK and exported over http/protobuf to a real
 * `oak-telemetry receive --otlp` process: a coordinator agent whose tools call two specialist
 * agents (a hand-off each), a run where a specialist's model fails, one where a tool fails. The
 * CLI's answers on the dir equal the hand-computed ones. Span times come from the OTel SDK's own
 * clock, so durations are checked for their order, not their value. A daemon follows the dir
 * from before the first span, and comes to a replay's answers.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { stepCountIs, tool, ToolLoopAgent } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLI, DaemonProcess, killAllDaemons, readJsonLines, startOtlpReceiver } from '../support/daemonHarness.js';
import { expectDaemonEqualsReplay, startFollowingDaemon } from '../support/followingDaemon.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const run = promisify(execFile);
const running: DaemonProcess[] = [];
// The processes are stopped before their dirs are removed.
const dirs = tempDirsPerTest(async () => {
  for (const p of running.splice(0)) await p.kill9();
  await killAllDaemons();
});
// The AI SDK nests its spans through the active context: without a context manager every span would be a root.
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

async function startReceiver(dir: string): Promise<string> {
  const { receiver, url } = await startOtlpReceiver(dir);
  running.push(receiver);
  return url;
}

async function cliJson(dir: string, command: string): Promise<unknown> {
  return JSON.parse((await run(process.execPath, [CLI, command, '--json', '--dir', dir, '--source', 'replay'])).stdout) as unknown;
}

const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };
type Reply = { readonly say: string } | { readonly call: string; readonly input: object } | { readonly fail: string };

/** The mock model answering from a script, one reply per call. */
function scriptedModel(replies: Reply[]): MockLanguageModelV3 {
  let calls = 0;
  return new MockLanguageModelV3({
    doGenerate: async () => {
      const reply = replies.shift();
      if (reply === undefined) throw new Error('the script has no more replies');
      if ('fail' in reply) throw new Error(reply.fail);
      if ('say' in reply) return { content: [{ type: 'text', text: reply.say }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] };
      const toolCallId = `call-${String(++calls)}`;
      return { content: [{ type: 'tool-call', toolCallId, toolName: reply.call, input: JSON.stringify(reply.input) }], finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage, warnings: [] };
    },
  });
}

/** One run: three agents, each named by its telemetry functionId, in the run's own conversation. */
async function runScenario(provider: BasicTracerProvider, conversation: string, scripts: { coordinator: Reply[]; researcher: Reply[]; writer: Reply[] }): Promise<string> {
  const tracer = provider.getTracer('ai');
  const telemetry = (functionId: string) => ({ isEnabled: true, functionId, tracer, metadata: { sessionId: conversation } });
  const search = tool({
    description: 'Searches the notes.',
    inputSchema: z.object({ q: z.string() }),
    execute: async ({ q }) => {
      if (q === 'outage') throw new Error('search backend down');
      return 'three notes';
    },
  });
  const researcher = new ToolLoopAgent({ model: scriptedModel(scripts.researcher), tools: { search }, stopWhen: stepCountIs(4), experimental_telemetry: telemetry('researcher') });
  const writer = new ToolLoopAgent({ model: scriptedModel(scripts.writer), experimental_telemetry: telemetry('writer') });
  const coordinator = new ToolLoopAgent({
    model: scriptedModel(scripts.coordinator),
    tools: {
      research: tool({ description: 'Asks the researcher.', inputSchema: z.object({ topic: z.string() }), execute: async ({ topic }) => (await researcher.generate({ prompt: topic })).text }),
      write: tool({ description: 'Asks the writer.', inputSchema: z.object({ topic: z.string() }), execute: async ({ topic }) => (await writer.generate({ prompt: topic })).text }),
    },
    stopWhen: stepCountIs(5),
    experimental_telemetry: telemetry('coordinator'),
  });
  return (await coordinator.generate({ prompt: 'write the report' })).text;
}

describe('receive --otlp with the real Vercel AI SDK', () => {
  it('a coordinator calling two specialist agents in its tools, a failing model and a failing tool give the hand-computed answers', async () => {
    const dir = dirs.make('oak-ai-sdk-');
    const url = await startReceiver(dir);
    const following = await startFollowingDaemon(dir);
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'ai-sdk-app' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    });
    const research = { call: 'research', input: { topic: 'notes' } };
    const write = { call: 'write', input: { topic: 'report' } };

    // A: coordinator -> research (researcher searches, answers) -> write (writer answers) -> done
    expect(await runScenario(provider, 'conv-a', { coordinator: [research, write, { say: 'done' }], researcher: [{ call: 'search', input: { q: 'notes' } }, { say: 'facts' }], writer: [{ say: 'the draft' }] })).toBe('done');
    // B: the writer's model fails; the coordinator gets the tool error and answers
    expect(await runScenario(provider, 'conv-b', { coordinator: [write, { say: 'no draft' }], researcher: [], writer: [{ fail: 'writer model overloaded' }] })).toBe('no draft');
    // C: the researcher's search fails; the researcher gets the tool error and answers
    expect(await runScenario(provider, 'conv-c', { coordinator: [research, { say: 'nothing' }], researcher: [{ call: 'search', input: { q: 'outage' } }, { say: 'nothing found' }], writer: [] })).toBe('nothing');
    // forceFlush resolves when the receiver has answered the export, i.e. after it wrote the records
    await provider.forceFlush();

    const invocations = readJsonLines(path.join(dir, 'agent_invocations.jsonl'));
    const byRun = (session: string) => invocations.filter((r) => r.session_id === session).map((r) => `${String(r.agent_name)} ${(r.outcome as { status: string }).status}`).sort();
    expect(byRun('conv-a')).toEqual(['coordinator success', 'researcher success', 'writer success']);
    expect(byRun('conv-b')).toEqual(['coordinator success', 'writer failure']);
    expect(byRun('conv-c')).toEqual(['coordinator success', 'researcher success']);
    expect(invocations).toHaveLength(7);

    const stats = (await cliJson(dir, 'stats')) as { total_invocations: number; agents: Record<string, { average_duration_seconds: number }> };
    const seconds = (name: string) => stats.agents[name]?.average_duration_seconds ?? -1;
    const agent = (name: string, count: number, rate: number, failures: string[]) => ({
      invocation_count: count, success_rate: rate, average_quality: 0, average_duration_seconds: seconds(name),
      common_task_types: [], common_failures: failures, recommended_for: [],
    });
    expect(stats).toMatchObject({
      total_invocations: 7,
      agents: {
        coordinator: agent('coordinator', 3, 1, []),
        researcher: agent('researcher', 2, 1, []),
        writer: agent('writer', 2, 0.5, ['writer model overloaded']),
      },
    });
    // a coordinator's run holds its specialists' runs
    expect(seconds('coordinator')).toBeGreaterThanOrEqual(seconds('researcher'));
    expect(seconds('researcher')).toBeGreaterThanOrEqual(0);

    // three workflows (one trace per coordinator run), all successful: the coordinator, their root, survived each failure
    const workflows = (await cliJson(dir, 'workflows')) as Record<string, unknown>;
    expect(workflows).toEqual({
      total_workflows: 3,
      avg_duration_minutes: workflows.avg_duration_minutes,
      success_rate: 1,
      avg_agents_per_workflow: 2.33,
      most_common_patterns: [
        { pattern: 'coordinator→researcher→writer', count: 1 },
        { pattern: 'coordinator→writer', count: 1 },
        { pattern: 'coordinator→researcher', count: 1 },
      ],
    });
    // each specialist run inside a coordinator's tool call: A both, B the writer, C the researcher
    const handoffs = (await cliJson(dir, 'handoffs')) as { handoffs: number; pairs: { items: unknown[] } };
    expect(handoffs.handoffs).toBe(4);
    expect(handoffs.pairs.items).toEqual([
      { from_agent: 'coordinator', to_agent: 'researcher', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 1 },
      { from_agent: 'coordinator', to_agent: 'writer', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 1 },
    ]);
    await provider.shutdown();

    // The daemon that followed the dir while the spans came in agrees with a replay of it.
    expect((await expectDaemonEqualsReplay(following)).stats.total_invocations).toBe(7);
  });
});
