import { invocationRecordOf, workflowEventOf } from '../../domain/loggerRecords.js';
import type { SourceKind } from '../../domain/sources.js';

/**
 * The records an OTLP intake writes, in the Python OaK logger's shape (src/domain/loggerRecords.ts),
 * so every reader takes them as its own.
 */

export interface OtlpRecord {
  readonly kind: Extract<SourceKind, 'invocations' | 'workflow_events'>;
  readonly record: Readonly<Record<string, unknown>>;
}

export type InvocationOutcome = { readonly status: 'success' | 'failure' | 'partial'; readonly errorMessage: string | null };

export interface InvocationFacts {
  readonly invocationId: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly sessionId: string | null;
  readonly workflowId: string;
  readonly agentName: string;
  readonly agentType: string;
  readonly taskDescription: string;
  readonly outcome: InvocationOutcome;
  /** The tools the agent called, where the source says (the OpenAI Agents SDK's function spans). */
  readonly toolsUsed?: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

export function invocationRecord(facts: InvocationFacts): OtlpRecord {
  return {
    kind: 'invocations',
    record: invocationRecordOf({
      timestamp: isoMicros(facts.startNs),
      sessionId: facts.sessionId,
      invocationId: facts.invocationId,
      agentName: facts.agentName,
      agentType: facts.agentType,
      taskDescription: facts.taskDescription,
      // The parent agent's span usually arrives after this one (spans are exported as they
      // end): the hand-off records carry the relation; metadata keeps the parent span id.
      parentInvocationId: null,
      workflowId: facts.workflowId,
      toolsUsed: facts.toolsUsed ?? [],
      durationSeconds: secondsBetween(facts.startNs, facts.endNs),
      status: facts.outcome.status,
      errorMessage: facts.outcome.errorMessage,
      metadata: facts.metadata,
    }),
  };
}

export function workflowEvent(event: string, timeNs: bigint, workflowId: string, sessionId: string | null, fields: Record<string, unknown>): OtlpRecord {
  return { kind: 'workflow_events', record: workflowEventOf(isoMicros(timeNs), event, workflowId, sessionId, fields) };
}

/** Like Python's utcnow().isoformat() + "Z": microseconds, the log's resolution. */
export function isoMicros(unixNano: bigint): string {
  const micros = unixNano / 1000n;
  const millis = Number(micros / 1000n);
  const sub = (micros % 1000n).toString().padStart(3, '0');
  return new Date(millis).toISOString().replace(/Z$/, `${sub}Z`);
}

/** Whole microseconds, as the log counts them: a span shorter than 1 us lasted 0 s. */
export function secondsBetween(startNs: bigint, endNs: bigint): number {
  return Number((endNs - startNs) / 1000n) / 1e6;
}
