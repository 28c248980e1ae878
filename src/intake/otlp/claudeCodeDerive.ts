import path from 'node:path';
import { handoffRecord, keyed, type KeyedRecord, type OutRecord, subagentInvocation, type SubagentOutcome, workflowCompleteRecord, workflowStartRecord } from '../claudeCode/hookRecords.js';
import { DEFAULT_AGENT_TYPE, ENDED_WITH_SESSION, MAIN_AGENT_NAME } from '../claudeCode/translateHook.js';
import type { CcAgent, CcPrompt, CcSession, CcTool } from './claudeCodeFacts.js';

/**
 * A Claude Code session's OTLP facts -> the records its hooks write (translateHook.ts does the
 * same from hook payloads; docs/claude-code.md has the mapping and what differs): an invocation
 * per subagent (id: its agent_id), a workflow per user prompt (`wf-<prompt.id>`), a hand-off from
 * the delegating agent to each subagent. Returns what is new or changed since `session.emitted`.
 */

export interface DeriveContext {
  /** `category` of the subagent type's definition (.claude/agents/<type>.md), or null. */
  readonly categoryOf: (type: string, projectDir: string | null) => string | null;
  /** The session is being let go (idle past the limit, the memory cap, shutdown): close what is open, as SessionEnd does for the hook. */
  readonly flushing: boolean;
}

interface AgentView {
  readonly id: string;
  readonly fact: CcAgent;
  readonly type: string | null;
  readonly promptId: string | null;
  readonly tool: { readonly id: string; readonly fact: CcTool } | null;
  readonly startUs: number;
}

export function deriveRecords(session: CcSession, ctx: DeriveContext): KeyedRecord[] {
  const promptByTrace = new Map<string, string>();
  for (const [id, p] of session.prompts) if (p.traceId !== '') promptByTrace.set(p.traceId, id);
  const toolPrompt = (t: CcTool): string | null => t.promptId ?? promptByTrace.get(t.traceId) ?? null;
  const views = agentViews(session, toolPrompt);
  const outcomes = new Map<string, SubagentOutcome>();
  for (const view of views.values()) outcomes.set(view.id, outcomeOf(session, view, ctx.flushing));
  const notifications = notificationsOf(session, views);
  const workflowOf = (promptId: string | null, depth = 0): string | null => {
    if (promptId === null || depth > 32 || !session.prompts.has(promptId)) return null;
    const notified = notifications.get(promptId);
    if (notified === undefined) return `wf-${promptId}`;
    const via = (notified.agentId !== null ? views.get(notified.agentId)?.promptId : undefined) ?? (notified.toolUseId !== null ? toolPromptOf(notified.toolUseId) : undefined);
    return workflowOf(via ?? null, depth + 1);
  };
  const toolPromptOf = (toolUseId: string): string | null => {
    const tool = session.tools.get(toolUseId);
    return tool === undefined ? null : toolPrompt(tool);
  };

  interface Workflow {
    readonly id: string;
    readonly prompt: CcPrompt;
    readonly prompts: CcPrompt[];
    readonly agents: AgentView[];
  }
  const workflows = new Map<string, Workflow>();
  const bySeq = [...session.prompts].sort(([, a], [, b]) => a.seq - b.seq || a.atUs - b.atUs);
  for (const [id, prompt] of bySeq) if (!notifications.has(id)) workflows.set(`wf-${id}`, { id: `wf-${id}`, prompt, prompts: [], agents: [] });
  for (const [id, prompt] of bySeq) {
    const wf = workflowOf(id);
    if (wf !== null) workflows.get(wf)?.prompts.push(prompt);
  }
  const agentWorkflow = new Map<string, string>();
  for (const view of views.values()) {
    const wf = workflowOf(view.promptId);
    if (wf === null || !workflows.has(wf)) continue;
    workflows.get(wf)!.agents.push(view);
    agentWorkflow.set(view.id, wf);
  }

  const records: KeyedRecord[] = [];
  const sid = session.sessionId;
  const projectName = session.projectDir === null ? null : path.basename(session.projectDir);
  for (const wf of workflows.values()) {
    if (session.emitted.starts.has(wf.id)) continue;
    records.push(keyed(workflowStartRecord(wf.prompt.atUs, wf.id, sid, projectName), { kind: 'start', id: wf.id }));
  }
  for (const view of [...views.values()].sort(byStart)) {
    const wf = agentWorkflow.get(view.id);
    if (wf === undefined || view.type === null) continue;
    const tool = view.tool?.fact;
    const invocation = subagentInvocation(
      {
        atUs: view.startUs,
        sessionId: sid,
        id: view.id,
        type: view.type,
        agentType: ctx.categoryOf(view.type, session.projectDir) ?? DEFAULT_AGENT_TYPE,
        call: tool,
        toolUseId: view.tool?.id ?? null,
        workflowId: wf,
        outcome: outcomes.get(view.id)!,
      },
      session.emitted.invocations.get(view.id),
    );
    if (invocation !== null) records.push(invocation);
    if (tool === undefined || session.emitted.handoffs.has(view.id)) continue;
    const from = tool.delegatorId === null ? MAIN_AGENT_NAME : (session.agents.get(tool.delegatorId)?.type ?? (ctx.flushing ? MAIN_AGENT_NAME : null));
    // A delegating subagent whose type is not in yet: its own events bring it.
    if (from === null) continue;
    records.push(keyed(handoffRecord(view.startUs, wf, sid, from, view.type), { kind: 'handoff', id: view.id }));
  }
  for (const wf of workflows.values()) {
    const complete = completion(session, wf, outcomes, ctx.flushing);
    if (complete === null) continue;
    const json = JSON.stringify(complete.record);
    if (session.emitted.completes.get(wf.id) !== json) records.push(keyed(complete, { kind: 'complete', id: wf.id, json }));
  }
  return records;
}

/**
 * Every subagent with the Agent tool call that started it: exactly when traces are on (its
 * requests run under that call's tool.execution span), else the calls and subagents of the same
 * type and prompt paired oldest with oldest (as the hook pairs a failed call, which names no agent).
 */
function agentViews(session: CcSession, toolPrompt: (t: CcTool) => string | null): Map<string, AgentView> {
  const linked = new Map<string, string>();
  const usedTools = new Set<string>();
  for (const [id, agent] of session.agents) {
    for (const spanId of agent.spanIds) {
      const toolId = session.executions.get(spanId);
      if (toolId === undefined || usedTools.has(toolId) || !session.tools.has(toolId)) continue;
      linked.set(id, toolId);
      usedTools.add(toolId);
      break;
    }
  }
  const spareTools = [...session.tools].filter(([id, t]) => !usedTools.has(id) && t.subagentType !== null).sort(([ia, a], [ib, b]) => a.atUs - b.atUs || cmp(ia, ib));
  const spareAgents = [...session.agents].filter(([id, a]) => !linked.has(id) && a.type !== null).sort(([ia, a], [ib, b]) => roughStart(a) - roughStart(b) || cmp(ia, ib));
  for (const [id, agent] of spareAgents) {
    const i = spareTools.findIndex(([, t]) => t.subagentType === agent.type && toolPrompt(t) === agent.promptId);
    if (i < 0) continue;
    linked.set(id, spareTools.splice(i, 1)[0]![0]);
  }
  const views = new Map<string, AgentView>();
  for (const [id, fact] of session.agents) {
    const toolId = linked.get(id);
    const tool = toolId === undefined ? null : { id: toolId, fact: session.tools.get(toolId)! };
    // A subagent known only as a delegator (its own typed events not in yet) is not an invocation yet.
    const type = fact.type ?? tool?.fact.subagentType ?? null;
    views.set(id, { id, fact, type, promptId: fact.promptId ?? (tool === null ? null : toolPrompt(tool.fact)), tool, startUs: startOf(fact, tool?.fact ?? null) });
  }
  return views;
}

/**
 * When the subagent started: its Agent call's start (the hook's SubagentStart follows it within
 * milliseconds, and subagents launched together keep their launch order), else its end less its
 * own duration, else its first event.
 */
function startOf(agent: CcAgent, tool: CcTool | null): number {
  if (tool !== null) return tool.atUs;
  if (agent.completed?.durationMs != null) return Math.round(agent.completed.atUs - agent.completed.durationMs * 1000);
  return agent.firstUs;
}

function roughStart(agent: CcAgent): number {
  return startOf(agent, null);
}

/** A background call's tool_result comes at launch, before the subagent ends; a foreground one after. */
function launchedInBackground(tool: CcTool | null, agent: CcAgent): boolean {
  const result = tool?.result;
  if (result == null || result.error !== null) return false;
  const endSeq = agent.completed?.seq ?? agent.apiError?.seq;
  return endSeq === undefined || result.seq < endSeq || agent.completed?.isAsync === true;
}

function outcomeOf(session: CcSession, view: AgentView, flushing: boolean): SubagentOutcome {
  const { fact: agent } = view;
  const tool = view.tool?.fact ?? null;
  const toolError = tool?.result?.error ?? tool?.spanError ?? null;
  const apiError = agent.completed === null ? agent.apiError : null;
  const failedAt = toolError !== null ? (tool?.result?.atUs ?? apiError?.atUs ?? session.lastUs) : null;
  let endUs = agent.completed?.atUs ?? failedAt ?? apiError?.atUs ?? null;
  if (endUs === null && flushing) endUs = session.lastUs;
  if (endUs === null) return { ended: false, endUs: null, durationSeconds: null, error: null };
  const error = toolError ?? apiError?.message ?? (agent.completed === null && toolError === null ? ENDED_WITH_SESSION : null);
  const foreground = tool?.result != null && tool.result.error === null && !launchedInBackground(tool, agent) ? tool.result.durationMs : null;
  const durationSeconds = foreground != null ? foreground / 1000 : agent.completed?.durationMs != null ? agent.completed.durationMs / 1000 : Math.max(0, endUs - view.startUs) / 1e6;
  return { ended: true, endUs, durationSeconds, error };
}

/**
 * Which prompts are task notifications (a background subagent ended and the main agent is told):
 * from the text when Claude Code logs it (OTEL_LOG_USER_PROMPTS=1), else by the session's own
 * order of events: a prompt that follows the end of a background subagent not yet notified is
 * that subagent's notification (Claude Code sends it as soon as the main agent is idle).
 */
function notificationsOf(session: CcSession, views: Map<string, AgentView>): Map<string, { agentId: string | null; toolUseId: string | null }> {
  const found = new Map<string, { agentId: string | null; toolUseId: string | null }>();
  type Step = { seq: number; kind: 'end'; agentId: string } | { seq: number; kind: 'prompt'; promptId: string };
  const steps: Step[] = [];
  for (const [promptId, p] of session.prompts) {
    if (p.notification != null) found.set(promptId, p.notification);
    if (p.notification === undefined) steps.push({ seq: p.seq, kind: 'prompt', promptId });
  }
  for (const view of views.values()) {
    if (!launchedInBackground(view.tool?.fact ?? null, view.fact) && view.fact.completed?.isAsync !== true) continue;
    const seq = view.fact.completed?.seq ?? view.fact.apiError?.seq;
    if (seq !== undefined) steps.push({ seq, kind: 'end', agentId: view.id });
  }
  const textual = new Set([...found.values()].map((n) => n.agentId));
  const pending: string[] = [];
  for (const step of steps.sort((a, b) => a.seq - b.seq)) {
    if (step.kind === 'end') {
      if (!textual.has(step.agentId)) pending.push(step.agentId);
    } else if (pending.length > 0) {
      found.set(step.promptId, { agentId: pending.shift()!, toolUseId: null });
    }
  }
  return found;
}

/**
 * A workflow is complete when the main agent's turn ended (its interaction span) on every prompt
 * of it, every subagent of it ended, and some turn ended after the last subagent did (a
 * background subagent's result came back to the main agent: the hook's "notified" condition).
 * Without traces no turn is seen to end: the workflow completes when the session is let go.
 */
function completion(
  session: CcSession,
  wf: { id: string; prompt: CcPrompt; prompts: readonly CcPrompt[]; agents: readonly AgentView[] },
  outcomes: Map<string, SubagentOutcome>,
  flushing: boolean,
): OutRecord | null {
  let turnsEndUs = -Infinity;
  for (const prompt of wf.prompts) {
    const end = session.interactionEnds.get(prompt.traceId);
    if (end === undefined) {
      if (!flushing) return null;
      continue;
    }
    turnsEndUs = Math.max(turnsEndUs, end);
  }
  let endUs = Math.max(wf.prompt.atUs, turnsEndUs);
  let success = true;
  for (const agent of wf.agents) {
    const out = outcomes.get(agent.id)!;
    if (!out.ended) return null;
    if (out.error !== null) success = false;
    if (out.endUs === null) continue;
    if (!flushing && out.endUs > turnsEndUs) return null;
    endUs = Math.max(endUs, out.endUs);
  }
  if (flushing && endUs === wf.prompt.atUs) endUs = Math.max(endUs, session.lastUs);
  const names = wf.agents
    .filter((a) => a.type !== null)
    .sort(byStart)
    .map((a) => a.type!);
  return workflowCompleteRecord(endUs, wf.id, session.sessionId, Math.max(0, endUs - wf.prompt.atUs) / 1e6, success, names);
}

function byStart(a: AgentView, b: AgentView): number {
  return a.startUs - b.startUs || cmp(a.id, b.id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

