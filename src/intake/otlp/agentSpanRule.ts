import * as attr from './genAiAttributes.js';
import type { AttributeMap } from './otlpModel.js';

/**
 * Which span is an agent run, and the agent's name: null for every other span (LLM calls, tool
 * calls, a framework's plumbing), which the translator reads only for its place in the trace.
 *
 * - GenAI semantic conventions: `gen_ai.operation.name` = `invoke_agent` (or, without that
 *   attribute, a span name starting with `invoke_agent`), named by `gen_ai.agent.name`.
 * - Vercel AI SDK (`experimental_telemetry`, ai 6): no GenAI agent span. An agent there is a
 *   `generateText`/`streamText` call running its tool loop (what `ToolLoopAgent.generate` and
 *   `.stream` run), the span with `ai.operationId` `ai.generateText` or `ai.streamText` (not
 *   their `.doGenerate`/`.doStream` children: those are the LLM calls). Its name is the telemetry
 *   `functionId`, which the SDK writes as `ai.telemetry.functionId`; a call without one names no
 *   agent and is not one (a one-off LLM call is not an agent).
 */
export function agentOfSpan(spanName: string, attributes: AttributeMap): string | null {
  const operation = attr.textAttribute(attributes, attr.OPERATION);
  if (operation === attr.INVOKE_AGENT || (operation === null && spanName.startsWith(attr.INVOKE_AGENT))) return attr.textAttribute(attributes, attr.AGENT_NAME);
  const aiOperation = attr.textAttribute(attributes, attr.AI_SDK_OPERATION);
  if (aiOperation !== null && attr.AI_SDK_AGENT_OPERATIONS.has(aiOperation)) return attr.textAttribute(attributes, attr.AI_SDK_FUNCTION_ID);
  return null;
}
