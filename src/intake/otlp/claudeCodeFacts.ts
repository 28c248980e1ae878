import { taskNotification } from '../claudeCode/hookPayload.js';
import type { Emitted } from '../claudeCode/sessionState.js';
import type { AttributeMap, AttributeValue, OtlpLogRecord, OtlpSpan } from './otlpModel.js';

/**
 * What Claude Code's own OTLP export says about one session, as facts keyed by prompt, tool call
 * and subagent (the same facts its hooks bring, from other events). Records are derived from the
 * whole set (claudeCodeDerive.ts), so the order logs and spans arrive in, and an exporter's
 * retry, change nothing: each fact is keyed, and a repeated event sets the same values again.
 */

/** The resource attribute that tells the receiver the project directory (set it through OTEL_RESOURCE_ATTRIBUTES). */
export const PROJECT_DIR_ATTRIBUTE = 'oak.project.dir';
/** What Claude Code puts in place of a prompt it does not log (OTEL_LOG_USER_PROMPTS unset). */
const REDACTED = '<REDACTED>';

export interface CcPrompt {
  readonly atUs: number;
  /** event.sequence: the session's own order of events (arrival order may differ). */
  readonly seq: number;
  /** The interaction's trace: spans of this prompt carry it. */
  readonly traceId: string;
  /** Parsed from the prompt text when it is logged; undefined when redacted (then told by order, see claudeCodeDerive). */
  readonly notification: { readonly agentId: string | null; readonly toolUseId: string | null } | null | undefined;
}

export interface CcTool {
  readonly promptId: string | null;
  readonly traceId: string;
  readonly atUs: number;
  /** The subagent that made the call; null for the main agent. */
  readonly delegatorId: string | null;
  readonly subagentType: string | null;
  readonly description: string | null;
  readonly prompt: string | null;
  /** tool_result: at launch for a background call, at the end for a foreground one. */
  readonly result: null | { readonly atUs: number; readonly seq: number; readonly durationMs: number | null; readonly error: string | null };
  /** The tool.execution span's failure (traces only), when no tool_result says so. */
  readonly spanError: string | null;
}

export interface CcAgent {
  readonly type: string | null;
  readonly promptId: string | null;
  readonly firstUs: number;
  /** Span ids its events carry: the tool.execution span of the Agent call that started it. */
  readonly spanIds: readonly string[];
  readonly completed: null | { readonly atUs: number; readonly seq: number; readonly durationMs: number | null; readonly isAsync: boolean };
  readonly apiError: null | { readonly atUs: number; readonly seq: number; readonly message: string };
}

export interface CcSession {
  readonly sessionId: string;
  projectDir: string | null;
  readonly prompts: Map<string, CcPrompt>;
  readonly tools: Map<string, CcTool>;
  readonly agents: Map<string, CcAgent>;
  /** tool.execution span id -> the Agent tool call it ran (traces only): the exact link to its subagent. */
  readonly executions: Map<string, string>;
  /** Interaction trace id -> when the main agent's turn ended (traces only: its Stop). */
  readonly interactionEnds: Map<string, number>;
  lastUs: number;
  lastSeenMs: number;
  facts: number;
  readonly emitted: Emitted;
}

export function newSession(sessionId: string, emitted?: Emitted): CcSession {
  return {
    sessionId,
    projectDir: null,
    prompts: new Map(),
    tools: new Map(),
    agents: new Map(),
    executions: new Map(),
    interactionEnds: new Map(),
    lastUs: 0,
    lastSeenMs: 0,
    facts: 0,
    emitted: emitted ?? { invocations: new Map(), starts: new Set(), handoffs: new Set(), completes: new Map() },
  };
}

/** The Claude Code event a log record is (`user_prompt`, `tool_result`...), or null for any other log. */
export function claudeCodeEventName(record: OtlpLogRecord): string | null {
  const name = text(record.attributes, 'event.name');
  if (name !== null && text(record.attributes, 'session.id') !== null) {
    const body = typeof record.body === 'string' ? record.body : '';
    // The body names the event (`claude_code.user_prompt`); the service name stands in if an exporter drops it.
    if (body.startsWith('claude_code.') || text(record.resource, 'service.name') === 'claude-code') return name;
  }
  return null;
}

export function isClaudeCodeSpan(span: OtlpSpan): boolean {
  return span.name.startsWith('claude_code.');
}

export function sessionIdOf(attributes: AttributeMap): string | null {
  return text(attributes, 'session.id');
}

/** Adds what one log record says to its session (in place). Records of events we do not use change nothing. */
export function addLog(session: CcSession, record: OtlpLogRecord, event: string): void {
  const a = record.attributes;
  const atUs = logTimeUs(record);
  const seq = num(a, 'event.sequence') ?? 0;
  const promptId = text(a, 'prompt.id');
  const agentId = text(a, 'agent_id');
  session.projectDir ??= text(a, PROJECT_DIR_ATTRIBUTE) ?? text(record.resource, PROJECT_DIR_ATTRIBUTE);
  session.lastUs = Math.max(session.lastUs, atUs);
  switch (event) {
    case 'user_prompt': {
      if (promptId === null || session.prompts.has(promptId)) return;
      const prompt = text(a, 'prompt');
      const notification = prompt === null || prompt === REDACTED ? undefined : taskNotification(prompt);
      session.prompts.set(promptId, { atUs, seq, traceId: record.traceId, notification });
      session.facts++;
      return;
    }
    case 'tool_decision':
    case 'tool_result': {
      const toolUseId = text(a, 'tool_use_id');
      if (toolUseId === null || !isAgentTool(text(a, 'tool_name'))) return;
      const input = jsonObject(text(a, 'tool_input'));
      const params = jsonObject(text(a, 'tool_parameters'));
      const old = session.tools.get(toolUseId);
      const result =
        event === 'tool_result'
          ? { atUs, seq, durationMs: num(a, 'duration_ms'), error: text(a, 'success') === 'false' ? (text(a, 'error') ?? text(a, 'error_type') ?? 'the Agent tool failed') : null }
          : null;
      const durationUs = result?.durationMs != null ? result.durationMs * 1000 : 0;
      session.tools.set(toolUseId, {
        promptId: old?.promptId ?? promptId,
        traceId: old?.traceId || record.traceId,
        atUs: Math.min(old?.atUs ?? Infinity, atUs - durationUs),
        delegatorId: old?.delegatorId ?? agentId,
        subagentType: old?.subagentType ?? stringField(input, 'subagent_type') ?? stringField(params, 'subagent_type'),
        description: old?.description ?? stringField(input, 'description'),
        prompt: old?.prompt ?? stringField(input, 'prompt'),
        result: old?.result ?? result,
        spanError: old?.spanError ?? null,
      });
      if (old === undefined) session.facts++;
      if (agentId !== null) touchAgent(session, agentId, record, atUs, promptId, null);
      return;
    }
    case 'api_request':
    case 'api_error':
    case 'subagent_completed':
    case 'assistant_response':
    case 'hook_execution_start': {
      if (agentId === null) return; // the main agent's own events
      const type = text(a, 'agent_type') ?? text(a, 'agent.name');
      const agent = touchAgent(session, agentId, record, atUs, promptId, type);
      if (event === 'subagent_completed' && agent.completed === null) {
        session.agents.set(agentId, { ...agent, completed: { atUs, seq, durationMs: num(a, 'duration_ms'), isAsync: a.get('is_async') === true || text(a, 'is_async') === 'true' } });
      } else if (event === 'api_error' && agent.apiError === null) {
        const status = text(a, 'status_code');
        const error = text(a, 'error') ?? 'unknown error';
        // The words of the hook's StopFailure (its last_assistant_message), from the same facts.
        session.agents.set(agentId, { ...agent, apiError: { atUs, seq, message: status === null ? `API Error: ${error}` : `API Error: ${status} ${error}` } });
      }
      return;
    }
  }
}

function touchAgent(session: CcSession, agentId: string, record: OtlpLogRecord | null, atUs: number, promptId: string | null, type: string | null): CcAgent {
  const old = session.agents.get(agentId);
  const spanId = record?.spanId ?? '';
  const agent: CcAgent = {
    type: old?.type ?? type,
    promptId: old?.promptId ?? promptId,
    firstUs: Math.min(old?.firstUs ?? atUs, atUs),
    spanIds: spanId === '' || old?.spanIds.includes(spanId) === true ? (old?.spanIds ?? []) : [...(old?.spanIds ?? []), spanId].slice(-8),
    completed: old?.completed ?? null,
    apiError: old?.apiError ?? null,
  };
  if (old === undefined) session.facts++;
  session.agents.set(agentId, agent);
  return agent;
}

/**
 * Adds what one span says (CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1): the interaction's end (the
 * main agent's turn is over), the Agent tool call and its tool.execution span (the exact link
 * to the subagent whose requests run under it), and that execution's failure.
 */
export function addSpan(session: CcSession, span: OtlpSpan): void {
  const a = span.attributes;
  const startUs = nsToUs(span.startUnixNano);
  const endUs = nsToUs(span.endUnixNano);
  session.projectDir ??= text(a, PROJECT_DIR_ATTRIBUTE) ?? text(span.resource, PROJECT_DIR_ATTRIBUTE);
  session.lastUs = Math.max(session.lastUs, endUs);
  const toolUseId = text(a, 'tool_use_id');
  switch (span.name) {
    case 'claude_code.interaction':
      if (!session.interactionEnds.has(span.traceId)) session.facts++;
      session.interactionEnds.set(span.traceId, endUs);
      return;
    case 'claude_code.tool': {
      const type = text(a, 'subagent_type');
      if (toolUseId === null || type === null || !isAgentTool(text(a, 'tool_name'))) return;
      const old = session.tools.get(toolUseId);
      session.tools.set(toolUseId, {
        promptId: old?.promptId ?? null,
        traceId: old?.traceId || span.traceId,
        atUs: Math.min(old?.atUs ?? Infinity, startUs),
        delegatorId: old?.delegatorId ?? text(a, 'agent_id'),
        subagentType: old?.subagentType ?? type,
        description: old?.description ?? null,
        prompt: old?.prompt ?? null,
        result: old?.result ?? null,
        spanError: old?.spanError ?? null,
      });
      if (old === undefined) session.facts++;
      return;
    }
    case 'claude_code.tool.execution': {
      if (toolUseId === null) return;
      if (!session.executions.has(span.spanId)) session.facts++;
      session.executions.set(span.spanId, toolUseId);
      const tool = session.tools.get(toolUseId);
      if (tool !== undefined && span.statusCode === 2 && tool.spanError === null) {
        session.tools.set(toolUseId, { ...tool, spanError: span.statusMessage || text(a, 'error') || 'the Agent tool failed' });
      }
      return;
    }
    case 'claude_code.llm_request': {
      const agentId = text(a, 'agent_id');
      if (agentId === null || span.parentSpanId === '') return;
      const old = session.agents.get(agentId);
      if (old?.spanIds.includes(span.parentSpanId) === true) return;
      touchAgent(session, agentId, null, startUs, null, null);
      const agent = session.agents.get(agentId)!;
      session.agents.set(agentId, { ...agent, spanIds: [...agent.spanIds, span.parentSpanId].slice(-8) });
      return;
    }
  }
}

/** The delegation tool: `Agent`, `Task` in older Claude Code. */
function isAgentTool(name: string | null): boolean {
  return name === 'Agent' || name === 'Task';
}

function logTimeUs(record: OtlpLogRecord): number {
  if (record.timeUnixNano > 0n) return nsToUs(record.timeUnixNano);
  const stamped = Date.parse(text(record.attributes, 'event.timestamp') ?? '');
  if (Number.isFinite(stamped)) return stamped * 1000;
  return nsToUs(record.observedTimeUnixNano);
}

function nsToUs(ns: bigint): number {
  return Number(ns / 1000n);
}

function text(attributes: AttributeMap, key: string): string | null {
  const value: AttributeValue | undefined = attributes.get(key);
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** Claude Code sends some numbers as strings (duration_ms of tool_result). */
function num(attributes: AttributeMap, key: string): number | null {
  const value = attributes.get(key);
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

function jsonObject(textValue: string | null): Readonly<Record<string, unknown>> | null {
  if (textValue === null) return null;
  try {
    const value: unknown = JSON.parse(textValue);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function stringField(object: Readonly<Record<string, unknown>> | null, key: string): string | null {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}
