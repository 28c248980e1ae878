/**
 * Claude Code sessions, end to end: the real `claude` CLI against the fake Messages API, the
 * hooks installed by `init claude-code` running the real `oak-telemetry hook`, then `stats`,
 * `workflows`, `handoffs` and `gaps` (--json, by replay) against answers worked out by hand from
 * the mapping (docs/claude-code.md): an invocation per subagent run named by its subagent type, a
 * workflow per user prompt (task notifications belong to it), a hand-off from the delegating agent
 * to each subagent it starts. A daemon following the same dir must come to the replay's figures.
 *
 * Durations come from the real clock, so they are checked as numbers, not values; everything
 * else is exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt, runCliJson } from '../support/cliRunner.js';
import {
  claudeMissing,
  initHooks,
  makeClaudeProject,
  runClaude,
  writeProjectSettings,
  dumpCommand,
  readDumpedPayloads,
  agentCall,
  answered,
  type AgentDefinition,
  type ClaudeProject,
} from '../support/claudeCode.js';
import { killAllDaemons, startDaemon, waitForReplayParity } from '../support/daemonHarness.js';
import { startFakeAnthropic, type FakeAnthropic, type ModelCall, type Reply } from '../support/fakeAnthropic.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const skipReason = claudeMissing;

/** The agent name the hook gives the main Claude Code agent as the sender of a hand-off (docs/claude-code.md). */
const MAIN = 'main';

const AGENTS: AgentDefinition[] = [
  { name: 'backend-architect', description: 'Designs APIs', category: 'development' },
  { name: 'frontend-dev', description: 'Builds UIs', category: 'development' },
];

let api: FakeAnthropic | undefined;
const temp = tempDirsPerTest(async () => {
  await killAllDaemons();
  await api?.close();
  api = undefined;
});
beforeAll(() => {
  if (skipReason === undefined) expectBuilt();
});



interface Session {
  readonly project: ClaudeProject;
  readonly dir: string;
}

/** A project with AGENTS, the hooks `init claude-code` writes, and the fake API answering `script`. */
async function session(script: (call: ModelCall) => Reply, ownSettings?: unknown): Promise<Session> {
  const project = makeClaudeProject(temp, AGENTS);
  if (ownSettings !== undefined) writeProjectSettings(project, ownSettings);
  const dir = path.join(project.root, 'telemetry');
  initHooks(project, dir);
  api = await startFakeAnthropic(script);
  return { project, dir };
}

async function prompt(s: Session, text: string, resume?: string): Promise<string> {
  const run = await runClaude(s.project, { apiUrl: api!.url, prompt: text, ...(resume === undefined ? {} : { resume }) });
  expect(run.code, `claude -p exited ${run.code}\n${run.stderr}\n${run.stdout}`).toBe(0);
  return run.result!.session_id!;
}

interface Answers {
  stats: { total_invocations: number; agents: Record<string, { invocation_count: number; success_rate: number; average_duration_seconds: number; common_failures: string[] }> };
  workflows: { total_workflows: number; success_rate: number; avg_agents_per_workflow: number; most_common_patterns: { pattern: string; count: number }[] };
  handoffs: { handoffs: number; pairs: { count: number; items: Record<string, unknown>[] } };
  gaps: { workflows_considered: number; transitions: number; pairs: { count: number; items: { from_agent: string | null; to_agent: string | null; count: number }[] } };
}

function answers(dir: string): Answers {
  const ask = <T>(command: string): T => runCliJson<T>([command, '--dir', dir, '--source', 'replay']);
  return { stats: ask('stats'), workflows: ask('workflows'), handoffs: ask('handoffs'), gaps: ask('gaps') };
}

/** A daemon started on the dir after the session comes to the same figures as a replay. */
async function expectDaemonEqualsReplay(dir: string): Promise<void> {
  const daemon = await startDaemon({ dir, stateDir: path.join(dir, '..', 'daemon-state') });
  await waitForReplayParity(daemon);
  await daemon.stop();
}

const pair = (from: string | null, to: string, workflows = 1, success: number | null = 1, handoffs = 1) => ({
  from_agent: from,
  to_agent: to,
  handoffs,
  workflows,
  artifacts: expect.any(Number),
  completed: success === null ? 0 : workflows,
  success_rate: success,
});

const agentFigures = (count: number, successRate: number) => ({
  invocation_count: count,
  success_rate: successRate,
  average_duration_seconds: expect.any(Number),
});

describe.skipIf(skipReason !== undefined)(`Claude Code sessions through init's hooks${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('one subagent in the foreground', async () => {
    const s = await session((call) => {
      if (call.agent !== 'main') return { text: 'API designed.' };
      return answered(call) ? { text: 'Done.' } : { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
    });
    await prompt(s, 'Build the login API');
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(1);
    expect(a.stats.agents).toEqual({ 'backend-architect': expect.objectContaining(agentFigures(1, 1)) });
    expect(a.workflows).toMatchObject({ total_workflows: 1, success_rate: 1, avg_agents_per_workflow: 1, most_common_patterns: [{ pattern: 'backend-architect', count: 1 }] });
    expect(a.handoffs.handoffs).toBe(1);
    expect(a.handoffs.pairs.items).toEqual([pair(MAIN, 'backend-architect')]);
    expect(a.gaps).toMatchObject({ workflows_considered: 1, transitions: 0 });
    await expectDaemonEqualsReplay(s.dir);
  });

  it('two subagents in parallel in the background: one workflow, ending after both', async () => {
    const s = await session((call) => {
      if (call.agent !== 'main') return { text: `${call.agent} finished.` };
      if (call.turn === 0) return { toolUses: [agentCall('Design login API', 'backend-architect', true), agentCall('Build login form', 'frontend-dev', true)] };
      return { text: 'Waiting for / reporting on the background agents.' };
    });
    await prompt(s, 'Build the login feature');
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(2);
    expect(a.stats.agents).toEqual({
      'backend-architect': expect.objectContaining(agentFigures(1, 1)),
      'frontend-dev': expect.objectContaining(agentFigures(1, 1)),
    });
    // The task notifications are part of the prompt's workflow, not workflows of their own.
    expect(a.workflows).toMatchObject({ total_workflows: 1, success_rate: 1, avg_agents_per_workflow: 2 });
    expect(a.workflows.most_common_patterns).toHaveLength(1);
    expect(a.workflows.most_common_patterns[0]!.pattern.split('→').sort()).toEqual(['backend-architect', 'frontend-dev']);
    expect(a.handoffs.handoffs).toBe(2);
    expect(a.handoffs.pairs.items).toEqual(expect.arrayContaining([pair(MAIN, 'backend-architect'), pair(MAIN, 'frontend-dev')]));
    expect(a.gaps).toMatchObject({ workflows_considered: 1, transitions: 1 });
    await expectDaemonEqualsReplay(s.dir);
  });

  it('a subagent whose API call fails: a failed invocation and a failed workflow', async () => {
    const s = await session((call) => {
      if (call.agent === 'backend-architect') return { error: { status: 400, type: 'invalid_request_error', message: 'fake subagent failure' } };
      return answered(call) ? { text: 'The subagent failed.' } : { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
    });
    await prompt(s, 'Build the login API');
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(1);
    expect(a.stats.agents['backend-architect']).toMatchObject(agentFigures(1, 0));
    expect(a.stats.agents['backend-architect']!.common_failures.join(' ')).toContain('fake subagent failure');
    expect(a.workflows).toMatchObject({ total_workflows: 1, success_rate: 0 });
    expect(a.handoffs.pairs.items).toEqual([pair(MAIN, 'backend-architect', 1, 0)]);
    await expectDaemonEqualsReplay(s.dir);
  });

  it('a subagent that delegates to another: hand-offs main -> backend-architect -> frontend-dev', async () => {
    const s = await session((call) => {
      if (call.agent === 'frontend-dev') return { text: 'Form built.' };
      if (call.agent === 'backend-architect') {
        // Its own conversation: once any tool result came back, it has delegated (Claude Code may add a
        // reminder message after the result, so "the last message is a result" is not enough).
        return call.toolResults.length > 0 ? { text: 'API designed, form delegated.' } : { toolUses: [agentCall('Build login form', 'frontend-dev', false)] };
      }
      return answered(call) ? { text: 'Done.' } : { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
    });
    await prompt(s, 'Build the login feature');
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(2);
    expect(a.workflows).toMatchObject({ total_workflows: 1, success_rate: 1, avg_agents_per_workflow: 2 });
    expect(a.handoffs.handoffs).toBe(2);
    expect(a.handoffs.pairs.items).toEqual(expect.arrayContaining([pair(MAIN, 'backend-architect'), pair('backend-architect', 'frontend-dev')]));
    expect(a.handoffs.pairs.count).toBe(2);
    await expectDaemonEqualsReplay(s.dir);
  });

  it('two user prompts in one session (--resume): two workflows', async () => {
    const s = await session((call) => {
      if (call.agent !== 'main') return { text: `${call.agent} finished.` };
      if (answered(call)) return { text: 'Done.' };
      const latest = call.userTexts.filter((t) => !t.startsWith('<system-reminder>')).at(-1) ?? '';
      return { toolUses: [latest.includes('form') ? agentCall('Build login form', 'frontend-dev', false) : agentCall('Design login API', 'backend-architect', false)] };
    });
    const id = await prompt(s, 'Build the login API');
    await prompt(s, 'Now build the login form', id);
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(2);
    expect(a.workflows).toMatchObject({ total_workflows: 2, success_rate: 1, avg_agents_per_workflow: 1 });
    expect(a.workflows.most_common_patterns).toEqual(
      expect.arrayContaining([
        { pattern: 'backend-architect', count: 1 },
        { pattern: 'frontend-dev', count: 1 },
      ]),
    );
    expect(a.handoffs.pairs.items).toEqual(expect.arrayContaining([pair(MAIN, 'backend-architect'), pair(MAIN, 'frontend-dev')]));
    await expectDaemonEqualsReplay(s.dir);
  });

  it("a project with hooks of its own: they still run, and the figures are the same as without them", async () => {
    const own = path.join(temp.make('oak-own-hooks-'));
    const ownHooks = {
      permissions: { allow: ['Bash(echo:*)'] },
      hooks: {
        PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: dumpCommand(own) }] }],
        Stop: [{ hooks: [{ type: 'command', command: dumpCommand(own) }] }],
      },
    };
    const s = await session((call) => {
      if (call.agent !== 'main') return { text: 'API designed.' };
      if (call.toolResults.length === 0) return { toolUses: [{ name: 'Bash', input: { command: 'echo hi', description: 'say hi' } }] };
      if (call.toolResults.length === 1) return { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
      return { text: 'Done.' };
    }, ownHooks);
    await prompt(s, 'Build the login API');
    const theirs = readDumpedPayloads(own);
    expect(theirs.map((p) => p.hook_event_name).sort()).toEqual(['PreToolUse', 'Stop']);
    const a = answers(s.dir);
    expect(a.stats.total_invocations).toBe(1);
    expect(a.workflows).toMatchObject({ total_workflows: 1, success_rate: 1, most_common_patterns: [{ pattern: 'backend-architect', count: 1 }] });
    expect(a.handoffs.pairs.items).toEqual([pair(MAIN, 'backend-architect')]);
    await expectDaemonEqualsReplay(s.dir);
  });
});
