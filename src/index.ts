/** The library: write telemetry, replay it, ask the questions. */
export { TelemetryLogger } from './logger/telemetryLogger.js';
export type {
  TelemetryLoggerOptions,
  LogInvocationOptions,
  UpdateInvocationOptions,
  LogSuccessMetricOptions,
  LogWorkflowStartOptions,
  LogAgentHandoffOptions,
  LogWorkflowCompleteOptions,
} from './logger/telemetryLogger.js';
export type * from './domain/events.js';
export { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from './domain/sources.js';
export { parseTimestampUs, formatTimestampUs } from './domain/time.js';
export { decodeBytes, decodeText, DEFAULT_MAX_LINE_BYTES, type DecodeOutcome } from './decode/decodeLine.js';
export type { Rejection, LinePosition } from './decode/rejection.js';
export { LineSplitter, type RawLine } from './pipeline/splitLines.js';
export { Ingest, type IngestOptions, type IngestTotals } from './pipeline/ingest.js';
export { initialState, applyEvent, type TelemetryState } from './projections/folds/telemetryState.js';
export { replayDirectory } from './io/replayFiles.js';
export * as queries from './queries/telemetryQueries.js';
