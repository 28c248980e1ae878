/** `oak-telemetry/openai-agents`: the OpenAI Agents SDK's traces into a telemetry directory. */
export { OakTracingProcessor, type OakTracingProcessorOptions } from './oakTracingProcessor.js';
export { AgentsTraceTranslator, DEFAULT_AGENTS_LIMITS, type AgentsTranslatorLimits } from './agentsTraceTranslator.js';
export type { AgentsSpan, AgentsSpanData, AgentsSpanError, AgentsTrace } from './agentsSpans.js';
