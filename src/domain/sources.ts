/** The three telemetry files and the kind of record each holds. */
export type SourceKind = 'invocations' | 'metrics' | 'workflow_events';

export const SOURCE_FILES: Readonly<Record<SourceKind, string>> = {
  invocations: 'agent_invocations.jsonl',
  metrics: 'success_metrics.jsonl',
  workflow_events: 'workflow_events.jsonl',
};

export const SOURCE_KINDS: readonly SourceKind[] = ['invocations', 'metrics', 'workflow_events'];
