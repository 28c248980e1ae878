import { type HookPayload, taskNotification } from './hookPayload.js';
import { handoffRecord, keyed, type KeyedRecord, type OutRecord, subagentInvocation, type SubagentOutcome, workflowCompleteRecord, workflowStartRecord } from './hookRecords.js';
import type { AgentFact, Emitted, PromptFact, SessionState, ToolFact } from './sessionState.js';

/** The main agent's name in hand-offs (it has no subagent type). */
export const MAIN_AGENT_NAME = 'main';
/** agent_type of a subagent whose definition has no `category` (or no file: the built-in types). */
export const DEFAULT_AGENT_TYPE = 'subagent';
/** Longest task_description written: a prompt can be pages long, the record stays small. */
/** The error of a subagent still running when its session ended. */
export const ENDED_WITH_SESSION = 'the session ended before the subagent did';

export interface TranslateContext {
  /** When the hook runs, in epoch microseconds (the payloads carry no time). */
  readonly nowUs: number;
  /** The project's name (its directory's), for workflow_start. */
  readonly projectName: string;
  /** `category` from the front matter of the definition of the payload's subagent type, if any. */
  readonly category: string | null;
}

export interface Translation {
  /** To append in this order; each one, once appended, goes into the state with markWritten. */
  readonly records: readonly KeyedRecord[];
  /** Every workflow of the session is complete (or the session ended): its state can go. */
  readonly done: boolean;
}

/**
 * Adds one payload's facts to the session state (in place) and returns the records that are
 * new or changed since the records marked written (a record that could not be appended is
 * derived again by the next hook). Every record is derived from the whole fact set, so any
 * order of the same payloads ends in the same records (a later invocation record replaces an
 * earlier one with the same id; a later workflow_complete replaces an earlier one).
 */
export function translateHook(state: SessionState, payload: HookPayload, ctx: TranslateContext): Translation {
  addFacts(state, payload, ctx);
  return emit(state);
}

function promptKeyOf(state: SessionState, payload: HookPayload): string | null {
  return payload.promptId ?? state.lastUserPrompt;
}

function addFacts(state: SessionState, p: HookPayload, ctx: TranslateContext): void {
  const now = ctx.nowUs;
  switch (p.event) {
    case 'SessionStart':
      return;
    case 'SessionEnd':
      state.endedAtUs ??= now;
      return;
    case 'UserPromptSubmit': {
      const notification = taskNotification(p.prompt);
      let key = p.promptId;
      if (key === null) key = `${state.sessionId}-${++state.anonymousPrompts}`;
      if (!state.prompts.has(key)) state.prompts.set(key, { atUs: now, projectName: ctx.projectName, notification });
      if (notification === null) state.lastUserPrompt = key;
      return;
    }
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      const old = state.tools.get(p.toolUseId);
      const input = p.input;
      let tool: ToolFact = {
        promptKey: old?.promptKey ?? promptKeyOf(state, p),
        atUs: old === undefined || p.event === 'PreToolUse' ? Math.min(old?.atUs ?? now, now) : old.atUs,
        delegatorId: old?.delegatorId ?? p.agentId,
        delegatorType: old?.delegatorType ?? p.agentType,
        description: old?.description ?? input.description,
        prompt: old?.prompt ?? input.prompt,
        subagentType: old?.subagentType ?? input.subagentType,
        category: old?.category ?? ctx.category,
        agentId: old?.agentId ?? null,
        background: old?.background ?? false,
        result: old?.result ?? null,
      };
      if (p.event === 'PostToolUse') {
        const background = p.status === 'async_launched' || input.runInBackground === true;
        tool = {
          ...tool,
          agentId: p.launchedAgentId ?? tool.agentId,
          background: tool.background || background,
          result: background ? tool.result : { kind: 'completed', atUs: now, durationMs: p.totalDurationMs },
        };
      } else if (p.event === 'PostToolUseFailure') {
        tool = { ...tool, result: { kind: 'failed', atUs: now, error: p.error } };
      }
      state.tools.set(p.toolUseId, tool);
      return;
    }
    case 'SubagentStart':
    case 'SubagentStop':
    case 'StopFailure': {
      const id = p.agentId!;
      const old: AgentFact = state.agents.get(id) ?? { type: null, category: null, promptKey: null, startUs: null, end: null };
      const fact: AgentFact = {
        type: old.type ?? p.agentType,
        category: old.category ?? ctx.category,
        promptKey: old.promptKey ?? promptKeyOf(state, p),
        startUs: p.event === 'SubagentStart' ? now : old.startUs,
        end: p.event === 'SubagentStart' ? old.end : (old.end ?? { atUs: now, error: p.event === 'StopFailure' ? p.error : null }),
      };
      state.agents.set(id, fact);
      return;
    }
    case 'Stop': {
      const key = promptKeyOf(state, p);
      // A Stop inside a subagent is its SubagentStop's business; only the main agent's counts here.
      if (key === null || p.agentId !== null) return;
      const old = state.stops.get(key);
      state.stops.set(key, { atUs: Math.max(old?.atUs ?? now, now), running: [...new Set([...(old?.running ?? []), ...p.runningSubagents])] });
      return;
    }
  }
}

// ---- derivation ------------------------------------------------------------------------------

interface AgentView {
  readonly id: string;
  readonly type: string | null;
  readonly category: string | null;
  readonly promptKey: string | null;
  readonly tool: { readonly id: string; readonly fact: ToolFact } | null;
  readonly startUs: number | null;
}

/** Every subagent known (from its own hooks or from the Agent tool call that started it), with its tool call. */
function agentViews(state: SessionState): Map<string, AgentView> {
  const toolOf = new Map<string, { id: string; fact: ToolFact }>();
  for (const [id, fact] of state.tools) if (fact.agentId !== null) toolOf.set(fact.agentId, { id, fact });
  const views = new Map<string, AgentView>();
  const ids = new Set([...state.agents.keys(), ...toolOf.keys()]);
  for (const id of ids) {
    const a = state.agents.get(id);
    const t = toolOf.get(id) ?? null;
    views.set(id, {
      id,
      type: a?.type ?? t?.fact.subagentType ?? null,
      category: a?.category ?? t?.fact.category ?? null,
      promptKey: a?.promptKey ?? t?.fact.promptKey ?? null,
      tool: t,
      startUs: a?.startUs ?? t?.fact.atUs ?? null,
    });
  }
  // A failed call names no agentId (PostToolUseFailure has none): pair the calls left over with
  // the subagents left over of the same type and prompt, oldest with oldest.
  const spareTools = [...state.tools].filter(([, t]) => t.agentId === null).sort(byTime(([id, t]) => [t.atUs, id]));
  const spareAgents = [...views.values()].filter((v) => v.tool === null).sort(byTime((v) => [v.startUs ?? Infinity, v.id]));
  for (const agent of spareAgents) {
    const i = spareTools.findIndex(([, t]) => t.subagentType === agent.type && t.promptKey === agent.promptKey);
    if (i < 0) continue;
    const [toolId, fact] = spareTools.splice(i, 1)[0]!;
    views.set(agent.id, { ...agent, tool: { id: toolId, fact }, category: agent.category ?? fact.category, startUs: agent.startUs ?? fact.atUs });
  }
  return views;
}

function byTime<T>(key: (item: T) => [number, string]): (a: T, b: T) => number {
  return (a, b) => {
    const [ta, ia] = key(a);
    const [tb, ib] = key(b);
    return ta !== tb ? ta - tb : ia < ib ? -1 : ia > ib ? 1 : 0;
  };
}

/** The workflow a prompt belongs to: its own for a user prompt, the notified subagent's for a task notification. */
function workflowOf(state: SessionState, views: Map<string, AgentView>, promptKey: string | null, depth = 0): string | null {
  if (promptKey === null || depth > 32) return null;
  const prompt: PromptFact | undefined = state.prompts.get(promptKey);
  if (prompt === undefined) return null;
  if (prompt.notification === null) return `wf-${promptKey}`;
  const { agentId, toolUseId } = prompt.notification;
  const via = (agentId !== null ? views.get(agentId)?.promptKey : undefined) ?? (toolUseId !== null ? state.tools.get(toolUseId)?.promptKey : undefined);
  return workflowOf(state, views, via ?? null, depth + 1);
}

function outcomeOf(state: SessionState, view: AgentView): SubagentOutcome {
  const fact = state.agents.get(view.id);
  const result = view.tool?.fact.result ?? null;
  const agentEnd = fact?.end ?? null;
  const failure = result?.kind === 'failed' ? result.error : (agentEnd?.error ?? null);
  let endUs = agentEnd?.atUs ?? result?.atUs ?? null;
  if (endUs === null && state.endedAtUs !== null) endUs = state.endedAtUs;
  if (endUs === null) return { ended: false, endUs: null, durationSeconds: null, error: null };
  const error = failure ?? (agentEnd === null && result === null ? ENDED_WITH_SESSION : null);
  const measured = result?.kind === 'completed' ? result.durationMs : null;
  const start = view.startUs ?? endUs;
  const durationSeconds = measured !== null ? measured / 1000 : Math.max(0, endUs - start) / 1e6;
  return { ended: true, endUs, durationSeconds, error };
}

interface WorkflowView {
  readonly id: string;
  readonly promptKey: string;
  readonly prompt: PromptFact;
  readonly prompts: string[];
  readonly agents: AgentView[];
}

function emit(state: SessionState): Translation {
  const views = agentViews(state);
  const workflows = new Map<string, WorkflowView>();
  for (const [key, prompt] of state.prompts) {
    if (prompt.notification === null) workflows.set(`wf-${key}`, { id: `wf-${key}`, promptKey: key, prompt, prompts: [], agents: [] });
  }
  for (const key of state.prompts.keys()) {
    const wf = workflowOf(state, views, key);
    if (wf !== null) workflows.get(wf)?.prompts.push(key);
  }
  const agentWorkflow = new Map<string, string>();
  for (const view of views.values()) {
    const wf = workflowOf(state, views, view.promptKey);
    if (wf === null) continue;
    workflows.get(wf)?.agents.push(view);
    agentWorkflow.set(view.id, wf);
  }

  const records: KeyedRecord[] = [];
  const sid = state.sessionId;
  for (const wf of workflows.values()) {
    if (state.emitted.starts.has(wf.id)) continue;
    records.push(keyed(workflowStartRecord(wf.prompt.atUs, wf.id, sid, wf.prompt.projectName), { kind: 'start', id: wf.id }));
  }

  const outcomes = new Map<string, SubagentOutcome>();
  for (const view of views.values()) outcomes.set(view.id, outcomeOf(state, view));
  // Invocations and hand-offs are written only once their workflow is known: a payload that comes
  // after its session's state was cleaned up must not replace a complete record with a poorer one.
  for (const view of [...views.values()].sort(byTime((v) => [v.startUs ?? Infinity, v.id]))) {
    const wf = agentWorkflow.get(view.id);
    if (wf === undefined || view.type === null) continue;
    const out = outcomes.get(view.id)!;
    const tool = view.tool?.fact;
    const invocation = subagentInvocation(
      {
        atUs: view.startUs ?? out.endUs ?? 0,
        sessionId: sid,
        id: view.id,
        type: view.type,
        agentType: view.category ?? DEFAULT_AGENT_TYPE,
        call: tool,
        toolUseId: view.tool?.id ?? null,
        workflowId: wf,
        outcome: out,
      },
      state.emitted.invocations.get(view.id),
    );
    if (invocation !== null) records.push(invocation);
    if (tool !== undefined && !state.emitted.handoffs.has(view.id)) {
      const from = tool.delegatorId === null ? MAIN_AGENT_NAME : (tool.delegatorType ?? views.get(tool.delegatorId)?.type ?? MAIN_AGENT_NAME);
      records.push(keyed(handoffRecord(view.startUs ?? tool.atUs, wf, sid, from, view.type), { kind: 'handoff', id: view.id }));
    }
  }

  let allComplete = workflows.size > 0;
  for (const wf of workflows.values()) {
    const complete = completion(state, wf, outcomes);
    if (complete === null) {
      allComplete = false;
      continue;
    }
    const json = JSON.stringify(complete.record);
    if (state.emitted.completes.get(wf.id) !== json) records.push(keyed(complete, { kind: 'complete', id: wf.id, json }));
  }
  return { records, done: allComplete || state.endedAtUs !== null };
}

/**
 * A workflow is complete when the main agent has stopped on every prompt of it (the user's and
 * each task notification's), every subagent of it has ended, and every background subagent that
 * outlived a Stop has had its task notification (the main agent wakes up for it). SessionEnd
 * closes it with what is known.
 */
function completion(state: SessionState, wf: WorkflowView, outcomes: Map<string, SubagentOutcome>): OutRecord | null {
  const ended = state.endedAtUs !== null;
  const notified = new Set<string>();
  for (const key of wf.prompts) {
    const agentId = state.prompts.get(key)?.notification?.agentId;
    if (agentId != null) notified.add(agentId);
  }
  let endUs = wf.prompt.atUs;
  for (const key of wf.prompts) {
    const stop = state.stops.get(key);
    if (stop === undefined) {
      if (!ended) return null;
      continue;
    }
    endUs = Math.max(endUs, stop.atUs);
    for (const id of stop.running) {
      const out = outcomes.get(id);
      if (!ended && (out === undefined || !out.ended || !notified.has(id))) return null;
    }
  }
  let success = true;
  for (const agent of wf.agents) {
    const out = outcomes.get(agent.id)!;
    if (!out.ended) return null;
    if (out.error !== null) success = false;
    if (out.endUs !== null) endUs = Math.max(endUs, out.endUs);
  }
  // Closed by SessionEnd with nothing after its prompt: it lasted until the session did.
  if (ended && endUs === wf.prompt.atUs) endUs = state.endedAtUs!;
  const names = wf.agents
    .filter((a) => a.type !== null)
    .sort(byTime((a) => [a.startUs ?? Infinity, a.id]))
    .map((a) => a.type!);
  return workflowCompleteRecord(endUs, wf.id, state.sessionId, Math.max(0, endUs - wf.prompt.atUs) / 1e6, success, names);
}

/** Notes in the state that a record was appended, so it is not written again. */
export function markWritten(emitted: Emitted, record: KeyedRecord): void {
  const key = record.key;
  if (key.kind === 'start') emitted.starts.add(key.id);
  else if (key.kind === 'handoff') emitted.handoffs.add(key.id);
  else if (key.kind === 'invocation') emitted.invocations.set(key.id, key.json);
  else if (key.kind === 'complete') emitted.completes.set(key.id, key.json);
}
