/**
 * One Claude Code hook payload (JSON on stdin), reduced to what the translator reads.
 * Decoding never throws: anything we cannot read is a typed rejection the hook logs, and an
 * event we do not use is `ignored` (the hook is then a no-op), so a newer Claude Code that adds
 * events or fields costs nothing.
 */

/** The delegation tool; `Task` is its name in older Claude Code versions. */
export const AGENT_TOOL_NAMES: ReadonlySet<string> = new Set(['Agent', 'Task']);

interface Common {
  readonly sessionId: string;
  /** The prompt this event belongs to (Claude Code >= 2.1 sends it on most events); null when absent. */
  readonly promptId: string | null;
  readonly cwd: string | null;
  /** Set when the event happened inside a subagent: that subagent's id and type. */
  readonly agentId: string | null;
  readonly agentType: string | null;
}

export interface AgentToolInput {
  readonly description: string | null;
  readonly prompt: string | null;
  readonly subagentType: string | null;
  readonly runInBackground: boolean | null;
}

export type HookPayload =
  | (Common & { readonly event: 'SessionStart' })
  | (Common & { readonly event: 'SessionEnd' })
  | (Common & { readonly event: 'UserPromptSubmit'; readonly prompt: string })
  | (Common & { readonly event: 'PreToolUse'; readonly toolUseId: string; readonly input: AgentToolInput })
  | (Common & {
      readonly event: 'PostToolUse';
      readonly toolUseId: string;
      readonly input: AgentToolInput;
      /** The subagent the call started (tool_response.agentId). */
      readonly launchedAgentId: string | null;
      /** async_launched (background: the subagent runs on), completed, ... */
      readonly status: string | null;
      readonly totalDurationMs: number | null;
    })
  | (Common & { readonly event: 'PostToolUseFailure'; readonly toolUseId: string; readonly input: AgentToolInput; readonly error: string })
  | (Common & { readonly event: 'SubagentStart' | 'SubagentStop'; readonly agentId: string; readonly agentType: string | null })
  | (Common & { readonly event: 'StopFailure'; readonly error: string })
  | (Common & { readonly event: 'Stop'; readonly runningSubagents: readonly string[] });

export type HookEventName = HookPayload['event'];

export type DecodedPayload =
  | { readonly type: 'payload'; readonly payload: HookPayload }
  /** A well-formed payload of an event (or a tool) we do not translate. */
  | { readonly type: 'ignored'; readonly event: string; readonly sessionId: string | null }
  | { readonly type: 'rejected'; readonly reason: string; readonly event: string | null; readonly sessionId: string | null };

type Obj = { readonly [key: string]: unknown };

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Obj, key: string): string | null {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

function num(obj: Obj, key: string): number | null {
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** Ids become file names in the state dir: only a safe alphabet, bounded. */
const SAFE_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

function safeId(value: string | null): value is string {
  return value !== null && SAFE_ID.test(value) && value !== '.' && value !== '..';
}

function agentInput(obj: Obj): AgentToolInput {
  const input = isObj(obj.tool_input) ? obj.tool_input : {};
  const bg = input.run_in_background;
  return {
    description: str(input, 'description'),
    prompt: str(input, 'prompt'),
    subagentType: str(input, 'subagent_type'),
    runInBackground: typeof bg === 'boolean' ? bg : null,
  };
}

/** Subagent ids among Stop's background tasks still running (they end after this Stop). */
function runningSubagents(obj: Obj): string[] {
  const tasks = obj.background_tasks;
  if (!Array.isArray(tasks)) return [];
  const ids: string[] = [];
  for (const task of tasks) {
    if (!isObj(task) || task.type !== 'subagent' || task.status !== 'running') continue;
    const id = str(task, 'id');
    if (safeId(id)) ids.push(id);
  }
  return ids;
}

export function decodeHookPayload(text: string): DecodedPayload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { type: 'rejected', reason: `not JSON: ${(err as Error).message}`, event: null, sessionId: null };
  }
  if (!isObj(value)) return { type: 'rejected', reason: 'not a JSON object', event: null, sessionId: null };
  const event = str(value, 'hook_event_name');
  const rawSession = str(value, 'session_id');
  const reject = (reason: string): DecodedPayload => ({ type: 'rejected', reason, event, sessionId: safeId(rawSession) ? rawSession : null });
  if (event === null) return reject('missing hook_event_name');
  if (!safeId(rawSession)) return reject(rawSession === null ? 'missing session_id' : 'session_id is not a plain id');
  const promptId = str(value, 'prompt_id');
  const agentId = str(value, 'agent_id');
  if (agentId !== null && !safeId(agentId)) return reject('agent_id is not a plain id');
  const common: Common = {
    sessionId: rawSession,
    promptId: safeId(promptId) ? promptId : null,
    cwd: str(value, 'cwd'),
    agentId,
    agentType: str(value, 'agent_type'),
  };
  const ok = (payload: HookPayload): DecodedPayload => ({ type: 'payload', payload });
  const ignored: DecodedPayload = { type: 'ignored', event, sessionId: rawSession };
  switch (event) {
    case 'SessionStart':
    case 'SessionEnd':
      return ok({ ...common, event });
    case 'UserPromptSubmit': {
      const prompt = value.prompt;
      if (typeof prompt !== 'string') return reject('UserPromptSubmit without a prompt');
      return ok({ ...common, event, prompt });
    }
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const tool = str(value, 'tool_name');
      if (tool === null || !AGENT_TOOL_NAMES.has(tool)) return ignored;
      const toolUseId = str(value, 'tool_use_id');
      if (!safeId(toolUseId)) return reject(`${event} on ${tool} without a plain tool_use_id`);
      const input = agentInput(value);
      if (event === 'PreToolUse') return ok({ ...common, event, toolUseId, input });
      if (event === 'PostToolUseFailure') {
        return ok({ ...common, event, toolUseId, input, error: str(value, 'error') ?? 'the Agent tool failed' });
      }
      const response = isObj(value.tool_response) ? value.tool_response : {};
      const launched = str(response, 'agentId');
      return ok({
        ...common,
        event,
        toolUseId,
        input,
        launchedAgentId: safeId(launched) ? launched : null,
        status: str(response, 'status'),
        totalDurationMs: num(response, 'totalDurationMs'),
      });
    }
    case 'SubagentStart':
    case 'SubagentStop':
      if (agentId === null) return reject(`${event} without agent_id`);
      return ok({ ...common, event, agentId });
    case 'StopFailure': {
      // Only a subagent's failure is an invocation's outcome; the main agent's API error is not.
      if (agentId === null) return ignored;
      const detail = str(value, 'last_assistant_message');
      const kind = str(value, 'error');
      return ok({ ...common, event, error: detail ?? kind ?? 'the subagent stopped on an error' });
    }
    case 'Stop':
      return ok({ ...common, event, runningSubagents: runningSubagents(value) });
    default:
      return ignored;
  }
}

/** `<task-notification>` prompts are Claude Code telling the main agent a background subagent ended. */
export function taskNotification(prompt: string): { readonly agentId: string | null; readonly toolUseId: string | null } | null {
  if (!prompt.startsWith('<task-notification>')) return null;
  const tag = (name: string): string | null => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(prompt);
    const v = m?.[1]?.trim() ?? null;
    return safeId(v) ? v : null;
  };
  return { agentId: tag('task-id'), toolUseId: tag('tool-use-id') };
}
