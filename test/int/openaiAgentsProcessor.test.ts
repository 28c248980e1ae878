/**
 * The OpenAI Agents SDK (the real @openai/agents) with scripted models (its own `Model`
 * extension point, no network), traced through `oak-telemetry/openai-agents` into a dir; the
 * built CLI's stats, workflows and hand-offs on that dir equal what a person works out from the
 * scenario. Only `Date` is faked, so that every span's time is known: each model call takes 1 s,
 * each search 2 s, nothing else any time. A daemon (its own process, on the real clock) follows
 * the dir from before the first record, and comes to a replay's answers.
 */
import path from 'node:path';
import { Agent, Runner, setTraceProcessors, setTracingDisabled, tool, Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';
import { OakTracingProcessor } from 'oak-telemetry/openai-agents';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { killAllDaemons, readJsonLines } from '../support/daemonHarness.js';
import { expectDaemonEqualsReplay, startFollowingDaemon } from '../support/followingDaemon.js';
import { runCliJson } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest(killAllDaemons);
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const passSeconds = (s: number) => vi.setSystemTime(Date.now() + s * 1000);

type Step = { readonly kind: 'call'; readonly name: string; readonly args: object } | { readonly kind: 'say'; readonly text: string } | { readonly kind: 'fail'; readonly message: string };
const call = (name: string, args: object = {}): Step => ({ kind: 'call', name, args });
const say = (text: string): Step => ({ kind: 'say', text });
const fail = (message: string): Step => ({ kind: 'fail', message });

/** A model that answers from a script, one step per call, each call taking one second. */
class ScriptedModel implements Model {
  private calls = 0;
  constructor(private readonly steps: Step[]) {}

  async getResponse(_request: ModelRequest): Promise<ModelResponse> {
    passSeconds(1);
    const step = this.steps.shift();
    if (step === undefined) throw new Error('the script has no more steps');
    if (step.kind === 'fail') throw new Error(step.message);
    const id = `call_${String(++this.calls)}`;
    const output: ModelResponse['output'] =
      step.kind === 'call'
        ? [{ type: 'function_call', callId: id, name: step.name, arguments: JSON.stringify(step.args), status: 'completed' }]
        : [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: step.text }] }];
    return { usage: new Usage(), output };
  }

  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not scripted');
  }
}

/** From here on `Date` is the scenario's clock, at T0 (the daemon harness's waits need the real one). */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
}

beforeEach(() => {
  // The SDK turns its tracing off when NODE_ENV is test (vitest sets it).
  setTracingDisabled(false);
});
afterEach(() => {
  setTraceProcessors([]);
  setTracingDisabled(true);
  vi.useRealTimers();
});

describe('oak-telemetry/openai-agents with the real OpenAI Agents SDK', () => {
  it('a coordinator handing off to two specialists, a failing model and a failing tool give the hand-computed answers', async () => {
    const dir = dirs.make('oak-openai-agents-');
    const following = await startFollowingDaemon(dir);
    fakeClock();
    const processor = new OakTracingProcessor({ dir });
    setTraceProcessors([processor]);

    const search = tool({
      name: 'search',
      description: 'Searches the notes.',
      parameters: z.object({ q: z.string() }),
      execute: async ({ q }) => {
        passSeconds(2);
        if (q === 'outage') throw new Error('search backend down');
        return 'three notes';
      },
    });
    // Scripts in call order across the three runs (run A | run B | run C).
    const researcher = new Agent({ name: 'researcher', instructions: 'Find facts.', tools: [search], model: new ScriptedModel([call('search', { q: 'notes' }), call('transfer_to_coordinator'), call('search', { q: 'outage' }), say('nothing found')]) });
    const writer = new Agent({ name: 'writer', instructions: 'Write.', model: new ScriptedModel([say('the draft'), fail('writer model overloaded')]) });
    const coordinator = new Agent({
      name: 'coordinator',
      instructions: 'Route the work.',
      handoffs: [researcher, writer],
      model: new ScriptedModel([call('transfer_to_researcher'), call('transfer_to_writer'), call('transfer_to_writer'), call('transfer_to_researcher')]),
    });
    researcher.handoffs.push(coordinator);

    // run A (T0): coordinator -> researcher (search) -> back to coordinator -> writer
    const a = await new Runner({ groupId: 'conv-a', workflowName: 'report' }).run(coordinator, 'write the report');
    expect(a.finalOutput).toBe('the draft');
    // run B (T0 + 100 s): coordinator -> writer, whose model fails: the run fails
    vi.setSystemTime(T0 + 100_000);
    await expect(new Runner({ groupId: 'conv-b', workflowName: 'report' }).run(coordinator, 'write again')).rejects.toThrow('writer model overloaded');
    // run C (T0 + 200 s): coordinator -> researcher, whose search fails; the model reads the error and answers
    vi.setSystemTime(T0 + 200_000);
    const c = await new Runner({ groupId: 'conv-c', workflowName: 'report' }).run(coordinator, 'look it up');
    expect(c.finalOutput).toBe('nothing found');
    expect(processor.counts).toEqual({ written: 9 + 5 + 5, refused: 0, failed: 0 });
    vi.useRealTimers();

    // A: coordinator 0-1, researcher 1-5 (model 1, search 2, model 1), coordinator 5-6, writer 6-7.
    // B: coordinator 100-101, writer 101-102 (failed). C: coordinator 200-201, researcher 201-205.
    const invocations = readJsonLines(path.join(dir, 'agent_invocations.jsonl'));
    expect(invocations.map((r) => [r.agent_name, r.duration_seconds, (r.outcome as { status: string }).status, r.tools_used, r.session_id])).toEqual([
      ['coordinator', 1, 'success', [], 'conv-a'],
      ['researcher', 4, 'success', ['search'], 'conv-a'],
      ['coordinator', 1, 'success', [], 'conv-a'],
      ['writer', 1, 'success', [], 'conv-a'],
      ['coordinator', 1, 'success', [], 'conv-b'],
      ['writer', 1, 'failure', [], 'conv-b'],
      ['coordinator', 1, 'success', [], 'conv-c'],
      ['researcher', 4, 'success', ['search'], 'conv-c'],
    ]);
    expect(invocations[7]?.metadata).toMatchObject({ source: 'openai-agents', failed_tools: ['search'] });

    const stats = runCliJson<{ agents: Record<string, unknown> }>(['stats', '--dir', dir, '--source', 'replay']);
    const agent = (count: number, rate: number, seconds: number, failures: string[]) => ({
      invocation_count: count, success_rate: rate, average_quality: 0, average_duration_seconds: seconds,
      common_task_types: [], common_failures: failures, recommended_for: [],
    });
    expect(stats).toEqual({
      total_invocations: 8,
      // the first invocation starts at T0, the last (C's researcher) at T0 + 201 s
      date_range: { start: '2026-12-01T00:00:00.000000Z', end: '2026-12-01T00:03:21.000000Z' },
      agents: {
        coordinator: agent(4, 1, 1, []),
        researcher: agent(2, 1, 4, []),
        writer: agent(2, 0.5, 1, ['Error: writer model overloaded']),
      },
    });
    // three workflows of 7, 2 and 5 s (trace start to the end of its run); B failed; 3, 2 and 2 distinct agents
    expect(runCliJson(['workflows', '--dir', dir, '--source', 'replay'])).toEqual({
      total_workflows: 3,
      avg_duration_minutes: 0.08,
      success_rate: 0.667,
      avg_agents_per_workflow: 2.33,
      most_common_patterns: [
        { pattern: 'coordinator→researcher→writer', count: 1 },
        { pattern: 'coordinator→writer', count: 1 },
        { pattern: 'coordinator→researcher', count: 1 },
      ],
    });
    // the SDK's hand-off spans: A coordinator->researcher, researcher->coordinator, coordinator->writer; B coordinator->writer; C coordinator->researcher
    const handoffs = runCliJson<{ handoffs: number; pairs: { items: unknown[] } }>(['handoffs', '--dir', dir, '--source', 'replay']);
    expect(handoffs.handoffs).toBe(5);
    expect(handoffs.pairs.items).toEqual([
      { from_agent: 'coordinator', to_agent: 'researcher', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 1 },
      { from_agent: 'coordinator', to_agent: 'writer', handoffs: 2, workflows: 2, artifacts: 0, completed: 2, success_rate: 0.5 },
      { from_agent: 'researcher', to_agent: 'coordinator', handoffs: 1, workflows: 1, artifacts: 0, completed: 1, success_rate: 1 },
    ]);

    // The daemon that followed the dir while the processor wrote agrees with a replay of it.
    expect((await expectDaemonEqualsReplay(following)).stats.total_invocations).toBe(8);
  });
});
