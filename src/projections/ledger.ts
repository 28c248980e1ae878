import type { TelemetryEvent } from '../domain/events.js';
import type { MetricEvent } from '../domain/events.js';
import type { Change, StoredInvocation } from './changes.js';

/**
 * The join index every projection relies on: the current record per invocation (a later
 * record replaces an earlier one), the last rating per invocation, and the first-seen
 * position of each workflow. Sequence numbers are positions within one file, so they do not
 * depend on how the three files interleave.
 */
export interface LedgerState {
  readonly invocations: Map<string, StoredInvocation>;
  readonly metrics: Map<string, MetricEvent>;
  readonly workflowSeq: Map<string, number>;
  /** Equal strings (agent names, task texts...) share one copy; saves memory at scale. */
  readonly strings: Map<string, string>;
}

export function initialLedger(): LedgerState {
  return { invocations: new Map(), metrics: new Map(), workflowSeq: new Map(), strings: new Map() };
}

function intern(ledger: LedgerState, value: string): string {
  const known = ledger.strings.get(value);
  if (known !== undefined) return known;
  ledger.strings.set(value, value);
  return value;
}

function internOrNull(ledger: LedgerState, value: string | null): string | null {
  return value === null ? null : intern(ledger, value);
}

/** Records the event in the ledger and returns what it changes. */
export function resolveChange(ledger: LedgerState, event: TelemetryEvent): Change {
  switch (event.kind) {
    case 'invocation': {
      const prev = ledger.invocations.get(event.invocationId);
      // Built field by field (not spread): one object shape, and this runs once per invocation line.
      const next: StoredInvocation = {
        kind: 'invocation',
        invocationId: event.invocationId,
        timestamp: event.timestamp,
        timeUs: event.timeUs,
        sessionId: internOrNull(ledger, event.sessionId),
        workflowId: internOrNull(ledger, event.workflowId),
        agentName: intern(ledger, event.agentName),
        agentType: intern(ledger, event.agentType),
        taskDescription: intern(ledger, event.taskDescription),
        taskType: internOrNull(ledger, event.taskType),
        status: event.status,
        durationSeconds: event.durationSeconds,
        errorMessage: event.errorMessage,
        seq: prev?.seq ?? ledger.invocations.size,
      };
      ledger.invocations.set(event.invocationId, next);
      return { kind: 'invocation', prev, next, metric: ledger.metrics.get(event.invocationId) };
    }
    case 'metric': {
      const prev = ledger.metrics.get(event.invocationId);
      ledger.metrics.set(event.invocationId, event);
      return { kind: 'metric', invocation: ledger.invocations.get(event.invocationId), prev, next: event };
    }
    default: {
      let groupSeq = ledger.workflowSeq.get(event.workflowId);
      if (groupSeq === undefined) {
        groupSeq = ledger.workflowSeq.size;
        ledger.workflowSeq.set(event.workflowId, groupSeq);
      }
      return { kind: 'workflow', event, groupSeq };
    }
  }
}
