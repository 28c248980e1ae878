import type { WorkflowEvent } from '../../domain/events.js';
import type { StoredInvocation } from '../store/invocationTable.js';

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
      /** The invocation rated, when already known; read in place, so only valid during this apply. */
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
