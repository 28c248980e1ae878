/**
 * The real `claude` CLI, with the hooks `init claude-code` installs, against the fake Messages
 * API: every event the Claude Code intake relies on fires, with the fields of the captured
 * examples (../shared/claude-code/hook-examples.json, kept here as the key lists), and an
 * ordinary tool call fires none. The hook commands are swapped for one that saves each payload,
 * so this checks Claude Code and our matchers, not the `hook` command.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt } from '../support/cliRunner.js';
import {
  claudeMissing,
  dumpCommand,
  initHooks,
  makeClaudeProject,
  readDumpedPayloads,
  replaceOwnHookCommands,
  agentCall,
  runClaude,
  type ClaudeProject,
} from '../support/claudeCode.js';
import { startFakeAnthropic, type FakeAnthropic, type ModelCall, type Reply } from '../support/fakeAnthropic.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

type Payload = Record<string, unknown> & { hook_event_name: string };

let api: FakeAnthropic | undefined;
const temp = tempDirsPerTest(async () => {
  await api?.close();
  api = undefined;
});
beforeAll(() => {
  if (claudeMissing === undefined) expectBuilt();
});

const AGENTS = [
  { name: 'backend-architect', description: 'Designs APIs', category: 'development' },
  { name: 'frontend-dev', description: 'Builds UIs' },
];

/** Fields every payload of that kind had in the captured examples (2.1.328). */
const CAPTURED_KEYS: Record<string, string[]> = {
  SessionStart: ['session_id', 'transcript_path', 'cwd', 'hook_event_name', 'source'],
  UserPromptSubmit: ['session_id', 'transcript_path', 'cwd', 'prompt_id', 'permission_mode', 'hook_event_name', 'prompt'],
  PreToolUse: ['session_id', 'cwd', 'prompt_id', 'hook_event_name', 'tool_name', 'tool_input', 'tool_use_id'],
  PostToolUse: ['session_id', 'cwd', 'prompt_id', 'hook_event_name', 'tool_name', 'tool_input', 'tool_response', 'tool_use_id', 'duration_ms'],
  PostToolUseFailure: ['session_id', 'cwd', 'prompt_id', 'hook_event_name', 'tool_name', 'tool_input', 'tool_use_id', 'error', 'is_interrupt', 'duration_ms'],
  SubagentStart: ['session_id', 'cwd', 'prompt_id', 'agent_id', 'agent_type', 'hook_event_name'],
  SubagentStop: ['session_id', 'cwd', 'prompt_id', 'agent_id', 'agent_type', 'hook_event_name', 'agent_transcript_path', 'last_assistant_message'],
  Stop: ['session_id', 'cwd', 'prompt_id', 'hook_event_name', 'last_assistant_message', 'background_tasks'],
  StopFailure: ['session_id', 'cwd', 'prompt_id', 'agent_id', 'agent_type', 'hook_event_name', 'error', 'last_assistant_message'],
  SessionEnd: ['session_id', 'cwd', 'hook_event_name', 'reason'],
};


/** Sets up the project with init's hooks, swapped for the payload dump; returns where payloads land. */
function project(): { project: ClaudeProject; dump: string } {
  const p = makeClaudeProject(temp, AGENTS);
  const dump = path.join(p.root, '..', 'payloads');
  fs.mkdirSync(dump);
  initHooks(p, path.join(p.root, 'telemetry'));
  replaceOwnHookCommands(p, dumpCommand(dump));
  return { project: p, dump };
}

function expectCapturedShape(payloads: readonly Payload[]): void {
  for (const payload of payloads) {
    const keys = CAPTURED_KEYS[payload.hook_event_name];
    expect(keys, `unexpected event ${payload.hook_event_name}`).toBeDefined();
    expect(Object.keys(payload), payload.hook_event_name).toEqual(expect.arrayContaining(keys!));
  }
}

const named = (payloads: readonly Payload[], event: string) => payloads.filter((p) => p.hook_event_name === event);

describe.skipIf(claudeMissing !== undefined)(`the real claude CLI with init's hooks${claudeMissing ? ` (skipped: ${claudeMissing})` : ''}`, () => {
  it('background subagents: Agent Pre/PostToolUse (async_launched), SubagentStart/Stop, Stop, task notifications; no hook for Bash or ListAgents', async () => {
    const { project: p, dump } = project();
    api = await startFakeAnthropic((call: ModelCall): Reply => {
      if (call.agent === 'main') {
        if (call.toolResults.length === 0) return { text: 'Delegating.', toolUses: [agentCall('Design login API', 'backend-architect'), agentCall('Build form', 'frontend-dev'), { name: 'Bash', input: { command: 'echo main-hello', description: 'say hello' } }, { name: 'ListAgents', input: {} }] };
        return { text: 'Main agent done.' };
      }
      if (call.agent === 'backend-architect' && call.toolResults.length === 0) return { toolUses: [{ name: 'Bash', input: { command: 'echo sub-hello', description: 'say hello' } }] };
      return { text: `${call.agent} done` };
    });
    const run = await runClaude(p, { apiUrl: api.url, prompt: 'Build the login API' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.result?.is_error).toBe(false);
    const payloads = readDumpedPayloads(dump) as Payload[];
    expectCapturedShape(payloads);

    expect(payloads.filter((x) => x.tool_name !== undefined && x.tool_name !== 'Agent')).toEqual([]);
    expect(named(payloads, 'SessionStart')).toHaveLength(1);
    expect(named(payloads, 'SessionEnd')).toHaveLength(1);
    const prompts = named(payloads, 'UserPromptSubmit').map((x) => x.prompt as string);
    expect(prompts[0]).toBe('Build the login API');
    // Each background subagent's end comes back as a task notification (two may share a turn).
    expect(prompts.slice(1).every((x) => x.startsWith('<task-notification>'))).toBe(true);
    const notified = prompts.slice(1).flatMap((x) => [...x.matchAll(/<task-id>([^<]+)<\/task-id>/g)].map((m) => m[1]));
    const launched = named(payloads, 'PostToolUse').map((x) => x.tool_response as Record<string, unknown>);
    expect(launched.map((r) => r.status)).toEqual(['async_launched', 'async_launched']);
    const starts = named(payloads, 'SubagentStart');
    expect(starts.map((x) => x.agent_type).sort()).toEqual(['backend-architect', 'frontend-dev']);
    expect(new Set(launched.map((r) => r.agentId))).toEqual(new Set(starts.map((x) => x.agent_id)));
    expect(new Set(named(payloads, 'SubagentStop').map((x) => x.agent_id))).toEqual(new Set(starts.map((x) => x.agent_id)));
    expect(named(payloads, 'PreToolUse').map((x) => (x.tool_input as Record<string, unknown>).subagent_type).sort()).toEqual(['backend-architect', 'frontend-dev']);
    expect(new Set(notified)).toEqual(new Set(starts.map((x) => x.agent_id)));
    // The main agent stops once per turn: the prompt and each task notification.
    // Not one Stop per turn: when the subagents end before the main agent's turn does, their
    // notifications are taken in that same run of the loop and only its end fires Stop. The
    // last Stop comes after every subagent has stopped, and nothing but SessionEnd follows it.
    const events = payloads.map((x) => x.hook_event_name);
    expect(events.lastIndexOf('Stop')).toBeGreaterThan(events.lastIndexOf('SubagentStop'));
    expect(events.slice(events.lastIndexOf('Stop') + 1)).toEqual(['SessionEnd']);
    expect(new Set(payloads.map((x) => x.session_id))).toEqual(new Set([run.result?.session_id]));
  });

  it('a subagent whose API call fails: StopFailure with its agent_id, PostToolUseFailure on Agent, no SubagentStop', async () => {
    const { project: p, dump } = project();
    api = await startFakeAnthropic((call): Reply => {
      if (call.agent === 'backend-architect') return { error: { status: 400, type: 'invalid_request_error', message: 'fake subagent failure' } };
      if (call.toolResults.length === 0) return { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
      return { text: 'The subagent failed.' };
    });
    const run = await runClaude(p, { apiUrl: api.url, prompt: 'Build the login API' });
    expect(run.code, run.stderr).toBe(0);
    const payloads = readDumpedPayloads(dump) as Payload[];
    expectCapturedShape(payloads);
    const [start] = named(payloads, 'SubagentStart');
    expect(named(payloads, 'StopFailure')).toEqual([expect.objectContaining({ agent_id: start!.agent_id, agent_type: 'backend-architect' })]);
    expect(named(payloads, 'PostToolUseFailure')).toEqual([expect.objectContaining({ tool_name: 'Agent', error: expect.stringContaining('fake subagent failure') })]);
    expect(named(payloads, 'SubagentStop')).toEqual([]);
  });

  it('a second prompt with --resume continues the session; a foreground subagent reports completed with totalDurationMs', async () => {
    const { project: p, dump } = project();
    api = await startFakeAnthropic((call): Reply => {
      if (call.agent !== 'main') return { text: 'done' };
      const prompt = call.userTexts.filter((t) => !t.startsWith('<system-reminder>')).at(-1) ?? '';
      const answered = call.body.messages?.at(-1)?.role === 'user' && call.toolResults.length > 0 && Array.isArray(call.body.messages.at(-1)!.content) && (call.body.messages.at(-1)!.content as { type: string }[])[0]?.type === 'tool_result';
      if (answered) return { text: `done with: ${prompt}` };
      return { toolUses: [agentCall(prompt.startsWith('Second') ? 'Build form' : 'Design login API', prompt.startsWith('Second') ? 'frontend-dev' : 'backend-architect', false)] };
    });
    const first = await runClaude(p, { apiUrl: api.url, prompt: 'First: build the login API' });
    expect(first.code, first.stderr).toBe(0);
    const second = await runClaude(p, { apiUrl: api.url, prompt: 'Second: build the form', resume: first.result!.session_id });
    expect(second.code, second.stderr).toBe(0);
    expect(second.result?.session_id).toBe(first.result?.session_id);
    const payloads = readDumpedPayloads(dump) as Payload[];
    expectCapturedShape(payloads);
    expect(named(payloads, 'UserPromptSubmit').map((x) => x.prompt)).toEqual(['First: build the login API', 'Second: build the form']);
    expect(named(payloads, 'SessionStart').map((x) => x.source)).toEqual(['startup', 'resume']);
    expect(named(payloads, 'SubagentStart').map((x) => x.agent_type)).toEqual(['backend-architect', 'frontend-dev']);
    const done = named(payloads, 'PostToolUse').map((x) => x.tool_response as Record<string, unknown>);
    expect(done.map((r) => r.status)).toEqual(['completed', 'completed']);
    expect(done.every((r) => typeof r.totalDurationMs === 'number')).toBe(true);
  });
});
