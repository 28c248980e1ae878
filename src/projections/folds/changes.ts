import type { InvocationStatus, WorkflowEvent } from '../../domain/events.js';

/**
 * An invocation as currently known: its latest record, at the position of its first line,
 * with the pooled numbers of its strings (see InvocationTable).
 */
export interface StoredInvocation {
  /** First-seen position among invocations (0-based); kept when a later record replaces it. */
  readonly seq: number;
  readonly timestamp: string;
  /** Epoch microseconds, or NaN when the timestamp does not parse. */
  readonly timeUs: number;
  /** The session id's number in the ledger's session index; -1 when session_id is null. */
  readonly sessionRef: number;
  readonly workflowId: string | null;
  /** -1 when workflowId is null. */
  readonly workflowRef: number;
  readonly agentName: string;
  readonly agentRef: number;
  readonly agentType: string;
  /** task_description, lower-cased: the only form any question reads. */
  readonly taskLower: string;
  readonly taskType: string | null;
  readonly status: InvocationStatus;
  readonly durationSeconds: number | null;
  readonly errorMessage: string | null;
}

/** No rating: quality ratings are 1-5, so 0 is free to mean "none". */
export const NO_QUALITY = 0;

/**
 * What an event means once joined with what came before: projections fold changes, never raw
 * events, so retraction and cross-file joins are worked out once, in the ledger.
 */
export type Change =
  | {
      readonly kind: 'invocation';
      /** The record this one replaces (same invocation_id), whose contribution must be retracted. */
      readonly prev: StoredInvocation | undefined;
      readonly next: StoredInvocation;
      /** The rating already known for this invocation, or NO_QUALITY. */
      readonly quality: number;
    }
  | {
      readonly kind: 'metric';
      /** The invocation rated, when already known. */
      readonly invocation: StoredInvocation | undefined;
      /** The rating this one replaces, or NO_QUALITY. */
      readonly prevQuality: number;
      readonly quality: number;
    }
  | {
      readonly kind: 'workflow';
      readonly event: WorkflowEvent;
      /** Position of this workflow's first event in workflow_events.jsonl. */
      readonly groupSeq: number;
      /** The workflow id's number in the ledger's workflow pool. */
      readonly workflowRef: number;
      /** The session id's number in the ledger's session index; -1 when null. */
      readonly sessionRef: number;
    };
