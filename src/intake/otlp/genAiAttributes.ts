import type { AttributeMap, AttributeValue } from './otlpModel.js';

/**
 * The GenAI semantic-convention attributes the translator reads, each with the older or
 * framework-specific names that mean the same thing (first present wins, in this order).
 */
export const OPERATION = ['gen_ai.operation.name'];
export const AGENT_NAME = ['gen_ai.agent.name', 'agent.name'];
export const AGENT_DESCRIPTION = ['gen_ai.agent.description'];
export const AGENT_TYPE = ['gen_ai.agent.type'];
/**
 * The session: gen_ai.conversation.id, before it the generic session.id some frameworks still
 * set, and the Vercel AI SDK's telemetry metadata `sessionId` (the key Langfuse reads too).
 */
export const CONVERSATION = ['gen_ai.conversation.id', 'gen_ai.session.id', 'session.id', 'ai.telemetry.metadata.sessionId'];
export const WORKFLOW_NAME = ['gen_ai.workflow.name'];
export const ERROR_TYPE = ['error.type'];
/** Strands' own outcome attribute on its agent spans. */
export const AGENT_STATUS = ['gen_ai.agent.status'];
/** Explicit hand-offs: the convention's proposal (gen_ai.transfer.*) and the older handoff names. */
export const HANDOFF_FROM = ['gen_ai.handoff.from_agent', 'gen_ai.transfer.from_agent', 'gen_ai.transfer.source_agent'];
export const HANDOFF_TO = ['gen_ai.handoff.to_agent', 'gen_ai.transfer.to_agent', 'gen_ai.transfer.target_agent'];
export const SERVICE_NAME = ['service.name'];
/** The Vercel AI SDK's own span attributes (experimental_telemetry): see agentSpanRule.ts. */
export const AI_SDK_OPERATION = ['ai.operationId'];
export const AI_SDK_FUNCTION_ID = ['ai.telemetry.functionId'];
export const AI_SDK_AGENT_OPERATIONS: ReadonlySet<string> = new Set(['ai.generateText', 'ai.streamText']);

export const INVOKE_AGENT = 'invoke_agent';
export const INVOKE_WORKFLOW = 'invoke_workflow';
/** Operation names of a hand-off span, where a framework names one. */
export const HANDOFF_OPERATIONS: ReadonlySet<string> = new Set(['handoff', 'transfer', 'agent_handoff']);

/** The first of `names` present as a non-empty string (numbers and booleans are stringified). */
export function textAttribute(attributes: AttributeMap, names: readonly string[]): string | null {
  for (const name of names) {
    const value: AttributeValue | undefined = attributes.get(name);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return null;
}
