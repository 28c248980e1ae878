/** File names inside a telemetry directory, as the Python OaK logger names them. */
export const INVOCATIONS_FILE = 'agent_invocations.jsonl';
export const METRICS_FILE = 'success_metrics.jsonl';
export const WORKFLOW_EVENTS_FILE = 'workflow_events.jsonl';
