import { SOURCE_FILES } from '../domain/sources.js';

/** File names inside a telemetry directory, as the Python OaK logger names them. */
export const INVOCATIONS_FILE = SOURCE_FILES.invocations;
export const METRICS_FILE = SOURCE_FILES.metrics;
export const WORKFLOW_EVENTS_FILE = SOURCE_FILES.workflow_events;
