import * as attr from './genAiAttributes.js';
import type { OtlpSpan } from './otlpModel.js';
import { spanOutcome } from './spanOutcome.js';

/**
 * What a framework's own spans say about who works with whom, beyond the GenAI conventions'
 * invoke_agent spans: Google ADK's transfer_to_agent tool call, and Strands' multi-agent
 * node spans. Pure: a span in, a fact or null out.
 */

/** ADK's hand-off tool; its argument names the agent that takes over. */
const ADK_TRANSFER_TOOL = 'transfer_to_agent';
/** ADK records the call's arguments (as JSON) here, unless content capture is turned off. */
const ADK_TOOL_ARGS = ['gcp.vertex.agent.tool_call_args'];
/** ADK JS names the argument agentName, ADK Python agent_name. */
const TRANSFER_TARGET_KEYS = ['agentName', 'agent_name'] as const;

/**
 * The agent an ADK `transfer_to_agent` tool span hands to, or null when the span is not one or
 * its arguments were not recorded. Its caller is not on this span: it is the agent of the
 * `call_llm` span above it (see llmAgentName).
 */
export function adkTransferTarget(span: OtlpSpan): string | null {
  const tool = attr.textAttribute(span.attributes, ['gen_ai.tool.name']) ?? (span.name.startsWith('execute_tool ') ? span.name.slice('execute_tool '.length) : null);
  if (tool !== ADK_TRANSFER_TOOL) return null;
  const args = attr.textAttribute(span.attributes, ADK_TOOL_ARGS);
  if (args === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  for (const key of TRANSFER_TARGET_KEYS) {
    const value: unknown = (parsed as Record<string, unknown>)[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * The agent named on a span that is not an agent invocation: ADK's `call_llm` span carries
 * gen_ai.agent.name of the agent whose model it calls.
 */
export function llmAgentName(span: OtlpSpan, isAgent: boolean): string | null {
  return isAgent ? null : attr.textAttribute(span.attributes, attr.AGENT_NAME);
}

/** Operation names of a Strands swarm's span; its node spans run one after another under it. */
const SWARM_OPERATIONS: ReadonlySet<string> = new Set(['invoke_swarm']);
const NODE_OPERATION = 'execute_node';

export function isSwarmSpan(operation: string | null): boolean {
  return operation !== null && SWARM_OPERATIONS.has(operation);
}

/**
 * A Strands multi-agent node span (`node <id>`, gen_ai.operation.name execute_node): its id,
 * and whether it failed by its own status (gen_ai.agent.status FAILED, or span status ERROR).
 */
export function nodeFacts(span: OtlpSpan, operation: string | null): { readonly id: string; readonly failed: boolean } | null {
  if (operation !== NODE_OPERATION) return null;
  const id = attr.textAttribute(span.attributes, ['gen_ai.agent.id']) ?? span.name.replace(/^node /, '');
  return { id, failed: spanOutcome(span).status === 'failure' };
}
