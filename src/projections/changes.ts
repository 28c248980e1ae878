import type { InvocationEvent, MetricEvent, WorkflowEvent } from '../domain/events.js';

/** An invocation as currently known: its latest record, at the position of its first line. */
export interface StoredInvocation extends InvocationEvent {
  /** First-seen position among invocations (0-based); kept when a later record replaces it. */
  readonly seq: number;
}

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
      /** The rating already known for this invocation, if any. */
      readonly metric: MetricEvent | undefined;
    }
  | {
      readonly kind: 'metric';
      /** The invocation rated, when already known. */
      readonly invocation: StoredInvocation | undefined;
      readonly prev: MetricEvent | undefined;
      readonly next: MetricEvent;
    }
  | {
      readonly kind: 'workflow';
      readonly event: WorkflowEvent;
      /** Position of this workflow's first event in workflow_events.jsonl. */
      readonly groupSeq: number;
    };
