/**
 * What `npm run demo:claude-code` plays: four subagent definitions and a handful of user
 * prompts, each with the delegations the fake Messages API scripts for it (foreground,
 * background in parallel, nested, a failing API call). One fake API serves every prompt, so
 * the script tells them apart by the texts in the conversation, never by call counts.
 */
import type { ModelCall, Reply, ToolUse } from './fakeAnthropic.js';
import type { AgentDefinition } from './claudeCode.js';

export const DEMO_AGENTS: readonly AgentDefinition[] = [
  { name: 'backend-architect', description: 'Designs and builds server-side APIs', category: 'development' },
  { name: 'frontend-developer', description: 'Builds web pages and components', category: 'development' },
  { name: 'qa-engineer', description: 'Writes and runs tests', category: 'quality' },
  { name: 'security-auditor', description: 'Reviews code for security problems', category: 'security' },
];

export interface Delegation {
  readonly agent: string;
  readonly description: string;
  readonly background: boolean;
  /** Its API call fails (HTTP 400, which Claude Code does not retry). */
  readonly fails?: boolean;
  /** What this subagent delegates in turn, in the foreground. */
  readonly delegates?: readonly Delegation[];
}

export interface DemoPrompt {
  readonly text: string;
  /** Started together by the main agent. */
  readonly delegations: readonly Delegation[];
}

export const DEMO_PROMPTS: readonly DemoPrompt[] = [
  { text: 'Design the payment API', delegations: [{ agent: 'backend-architect', description: 'Design payment API', background: false }] },
  {
    text: 'Build the checkout page and test it',
    delegations: [
      { agent: 'frontend-developer', description: 'Build checkout page', background: true },
      { agent: 'qa-engineer', description: 'Test checkout flow', background: true },
    ],
  },
  {
    text: 'Add login, with a security review',
    delegations: [
      {
        agent: 'backend-architect',
        description: 'Build login endpoint',
        background: false,
        delegates: [{ agent: 'security-auditor', description: 'Review login endpoint', background: false }],
      },
    ],
  },
  { text: 'Migrate the orders table', delegations: [{ agent: 'backend-architect', description: 'Write orders migration', background: false, fails: true }] },
  { text: 'Fix the flaky checkout test', delegations: [{ agent: 'qa-engineer', description: 'Fix flaky checkout test', background: false }] },
  { text: 'Review the payment API', delegations: [{ agent: 'security-auditor', description: 'Review payment API', background: true }] },
];

/** e.g. `backend-architect -> security-auditor`, `frontend-developer + qa-engineer (background)`. */
export function describeDelegations(delegations: readonly Delegation[]): string {
  const each = delegations.map((d) => `${d.agent}${d.fails === true ? ' (its API call fails)' : ''}${d.delegates === undefined ? '' : ` -> ${describeDelegations(d.delegates)}`}`);
  return each.join(' + ') + (delegations.every((d) => d.background) ? ' (background)' : '');
}

const taskPrompt = (d: Delegation): string => `${d.description}, then report back.`;

function agentToolUse(d: Delegation): ToolUse {
  return {
    name: 'Agent',
    input: { description: d.description, prompt: taskPrompt(d), subagent_type: d.agent, ...(d.background ? {} : { run_in_background: false }) },
  };
}

/** True once this conversation has a tool call of the assistant's: it has delegated already. */
function delegatedAlready(call: ModelCall): boolean {
  return (call.body.messages ?? []).some((m) => m.role === 'assistant' && Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_use'));
}

function allDelegations(delegations: readonly Delegation[]): Delegation[] {
  return delegations.flatMap((d) => [d, ...allDelegations(d.delegates ?? [])]);
}

/** The fake API's answer to any call of any demo prompt. */
export function demoScript(call: ModelCall): Reply {
  const said = (text: string): boolean => call.userTexts.some((t) => t.includes(text));
  if (!call.isSubagent) {
    const prompt = DEMO_PROMPTS.find((p) => said(p.text));
    if (prompt === undefined) return { text: 'Nothing to do.' };
    return delegatedAlready(call) ? { text: `${prompt.text}: done.` } : { toolUses: prompt.delegations.map(agentToolUse) };
  }
  const task = DEMO_PROMPTS.flatMap((p) => allDelegations(p.delegations)).find((d) => d.agent === call.agent && said(taskPrompt(d)));
  if (task === undefined) return { text: `${call.agent}: done.` };
  if (task.fails === true) return { error: { status: 400, type: 'invalid_request_error', message: `demo: the API refused ${task.description.toLowerCase()}` } };
  if (task.delegates !== undefined && !delegatedAlready(call)) return { toolUses: task.delegates.map(agentToolUse) };
  return { text: `${task.description}: done.` };
}
