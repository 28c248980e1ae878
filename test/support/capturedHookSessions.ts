import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Payloads captured from the real Claude Code CLI 2.1.328 (fixtures/claude-code/README in ../shared). */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = [path.resolve(here, '../..'), path.resolve(here, '../../..')].find((d) => fs.existsSync(path.join(d, 'fixtures/claude-code')))!;
export const CAPTURED = JSON.parse(fs.readFileSync(path.join(root, 'fixtures/claude-code/hook-examples.json'), 'utf8')) as Record<string, Record<string, unknown>>;

function captured(name: string, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const base = CAPTURED[name];
  if (base === undefined) throw new Error(`no captured payload ${name}`);
  return { ...structuredClone(base), ...patch };
}

/**
 * The captured session, in the order the real CLI fired it: a background subagent that is still
 * running at the main agent's Stop, then its task notification and the Stop that answers it.
 */
export function backgroundSession(): Record<string, unknown>[] {
  const notification = captured('UserPromptSubmit(task-notification, async subagent finished)');
  return [
    captured('SessionStart'),
    captured('UserPromptSubmit(user)'),
    captured('PreToolUse(Agent)'),
    captured('SubagentStart'),
    captured('PostToolUse(Agent, async default)'),
    captured('PreToolUse(Bash inside subagent)'),
    captured('PostToolUse(Bash inside subagent)'),
    captured('Stop(main, while async subagent running)'),
    captured('SubagentStop', { background_tasks: [] }),
    notification,
    captured('Stop(main, while async subagent running)', { prompt_id: notification.prompt_id, background_tasks: [] }),
    captured('SessionEnd'),
  ];
}

const FG = { session_id: 'dddf8944-bae2-40ae-a0d5-757c4f4c8889', prompt_id: 'f10ec075-1e49-4b83-8a3d-8ed756c4e2f6' };
const FG_AGENT = 'a1f95210a081c7df3';

/** A foreground subagent (run_in_background: false): its PostToolUse comes at its end. */
export function foregroundSession(): Record<string, unknown>[] {
  const post = captured('PostToolUse(Agent, run_in_background:false)');
  return [
    captured('UserPromptSubmit(user)', FG),
    captured('PreToolUse(Agent)', { ...FG, tool_use_id: post.tool_use_id, tool_input: post.tool_input }),
    captured('SubagentStart', { ...FG, agent_id: FG_AGENT }),
    captured('SubagentStop', { ...FG, agent_id: FG_AGENT, background_tasks: [] }),
    post,
    captured('Stop(main, while async subagent running)', { ...FG, background_tasks: [] }),
    captured('SessionEnd', FG),
  ];
}

const FAIL = { session_id: 'ded97d3c-a0f8-4c8e-9f4f-e81e6d1cbd5e', prompt_id: 'df2da86e-0c35-4f79-b50e-bfdac071b59d' };

/** A subagent whose API call fails: StopFailure with its agent_id and PostToolUseFailure on Agent, no SubagentStop. */
export function failingSession(): Record<string, unknown>[] {
  const failure = captured('PostToolUseFailure(Agent)');
  return [
    captured('UserPromptSubmit(user)', FAIL),
    captured('PreToolUse(Agent)', { ...FAIL, tool_use_id: failure.tool_use_id, tool_input: failure.tool_input }),
    captured('SubagentStart', { ...FAIL, agent_id: 'a7995a281985c215b' }),
    captured('StopFailure(subagent API error)'),
    failure,
    captured('Stop(main, while async subagent running)', { ...FAIL, background_tasks: [] }),
    captured('SessionEnd', FAIL),
  ];
}

const NEST = { session_id: 'nested-0001', prompt_id: 'p-nested' };

/** backend-architect (foreground) delegates to frontend-dev (foreground) before it ends. */
export function nestedSession(): Record<string, unknown>[] {
  const outer = { ...NEST, tool_use_id: 'toolu_outer' };
  const inner = { ...NEST, tool_use_id: 'toolu_inner', agent_id: 'a-outer', agent_type: 'backend-architect' };
  const innerInput = { description: 'Build login form', prompt: 'Build the login form.', subagent_type: 'frontend-dev', run_in_background: false };
  const outerInput = { description: 'Design login API', prompt: 'Design it.', subagent_type: 'backend-architect', run_in_background: false };
  const post = (ids: Record<string, unknown>, input: unknown, agentId: string, type: string) =>
    captured('PostToolUse(Agent, run_in_background:false)', { ...ids, tool_input: input, tool_response: { status: 'completed', agentId, agentType: type, totalDurationMs: 100 } });
  return [
    captured('UserPromptSubmit(user)', NEST),
    captured('PreToolUse(Agent)', { ...outer, tool_input: outerInput }),
    captured('SubagentStart', { ...NEST, agent_id: 'a-outer', agent_type: 'backend-architect' }),
    captured('PreToolUse(Agent)', { ...inner, tool_input: innerInput }),
    captured('SubagentStart', { ...NEST, agent_id: 'a-inner', agent_type: 'frontend-dev' }),
    captured('SubagentStop', { ...NEST, agent_id: 'a-inner', agent_type: 'frontend-dev', background_tasks: [] }),
    post(inner, innerInput, 'a-inner', 'frontend-dev'),
    captured('SubagentStop', { ...NEST, agent_id: 'a-outer', agent_type: 'backend-architect', background_tasks: [] }),
    post(outer, outerInput, 'a-outer', 'backend-architect'),
    captured('Stop(main, while async subagent running)', { ...NEST, background_tasks: [] }),
    captured('SessionEnd', NEST),
  ];
}
