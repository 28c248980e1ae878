/**
 * What the hook remembers about one Claude Code session between its runs: the facts each hook
 * payload brought (keyed by prompt, tool call and subagent) and which records were written.
 * Records are always derived from the whole set of facts, never from the order they came in,
 * because the hooks of the main agent and of its subagents run concurrently.
 */

export interface PromptFact {
  readonly atUs: number;
  readonly projectName: string;
  /** A `<task-notification>` prompt: a background subagent ended (it continues that subagent's workflow). */
  readonly notification: { readonly agentId: string | null; readonly toolUseId: string | null } | null;
}

export interface ToolFact {
  /** Prompt the Agent tool call was made under. */
  readonly promptKey: string | null;
  readonly atUs: number;
  /** The subagent that called the tool (null: the main agent). */
  readonly delegatorId: string | null;
  readonly delegatorType: string | null;
  readonly description: string | null;
  readonly prompt: string | null;
  readonly subagentType: string | null;
  readonly category: string | null;
  /** The subagent it started (PostToolUse's agentId). */
  readonly agentId: string | null;
  readonly background: boolean;
  readonly result:
    | null
    | { readonly kind: 'completed'; readonly atUs: number; readonly durationMs: number | null }
    | { readonly kind: 'failed'; readonly atUs: number; readonly error: string };
}

export interface AgentFact {
  readonly type: string | null;
  readonly category: string | null;
  readonly promptKey: string | null;
  readonly startUs: number | null;
  readonly end: null | { readonly atUs: number; readonly error: string | null };
}

export interface StopFact {
  readonly atUs: number;
  /** Background subagents still running when the main agent stopped. */
  readonly running: readonly string[];
}

export interface Emitted {
  /** The last invocation record written per subagent (its JSON), so an unchanged one is not written again. */
  readonly invocations: Map<string, string>;
  readonly starts: Set<string>;
  /** Subagents whose hand-off was written. */
  readonly handoffs: Set<string>;
  /** The last workflow_complete written per workflow (its JSON). */
  readonly completes: Map<string, string>;
}

export interface SessionState {
  readonly sessionId: string;
  readonly prompts: Map<string, PromptFact>;
  /** The latest user prompt: where events without a prompt_id (older Claude Code) belong. */
  lastUserPrompt: string | null;
  /** User prompts seen without a prompt_id, to name them. */
  anonymousPrompts: number;
  readonly tools: Map<string, ToolFact>;
  readonly agents: Map<string, AgentFact>;
  /** Main-agent Stops, by prompt. */
  readonly stops: Map<string, StopFact>;
  /** SessionEnd seen: every workflow is closed with what is known. */
  endedAtUs: number | null;
  readonly emitted: Emitted;
}

export function initialSessionState(sessionId: string): SessionState {
  return {
    sessionId,
    prompts: new Map(),
    lastUserPrompt: null,
    anonymousPrompts: 0,
    tools: new Map(),
    agents: new Map(),
    stops: new Map(),
    endedAtUs: null,
    emitted: { invocations: new Map(), starts: new Set(), handoffs: new Set(), completes: new Map() },
  };
}

/** As JSON for the state file (Maps and Sets as entry lists). */
export function sessionStateToJson(state: SessionState): string {
  return JSON.stringify({
    v: 1,
    sessionId: state.sessionId,
    prompts: [...state.prompts],
    lastUserPrompt: state.lastUserPrompt,
    anonymousPrompts: state.anonymousPrompts,
    tools: [...state.tools],
    agents: [...state.agents],
    stops: [...state.stops],
    endedAtUs: state.endedAtUs,
    emitted: {
      invocations: [...state.emitted.invocations],
      starts: [...state.emitted.starts],
      handoffs: [...state.emitted.handoffs],
      completes: [...state.emitted.completes],
    },
  });
}

/** The state file's content, or null when it is not one we wrote (the hook then starts afresh and logs it). */
export function sessionStateFromJson(text: string): SessionState | null {
  try {
    const raw = JSON.parse(text) as Record<string, unknown> & { emitted: Record<string, unknown> };
    if (raw.v !== 1 || typeof raw.sessionId !== 'string') return null;
    const map = <V>(v: unknown) => new Map(v as Array<[string, V]>);
    return {
      sessionId: raw.sessionId,
      prompts: map<PromptFact>(raw.prompts),
      lastUserPrompt: (raw.lastUserPrompt as string | null) ?? null,
      anonymousPrompts: Number(raw.anonymousPrompts) || 0,
      tools: map<ToolFact>(raw.tools),
      agents: map<AgentFact>(raw.agents),
      stops: map<StopFact>(raw.stops),
      endedAtUs: (raw.endedAtUs as number | null) ?? null,
      emitted: {
        invocations: map<string>(raw.emitted.invocations),
        starts: new Set(raw.emitted.starts as string[]),
        handoffs: new Set(raw.emitted.handoffs as string[]),
        completes: map<string>(raw.emitted.completes),
      },
    };
  } catch {
    return null;
  }
}
