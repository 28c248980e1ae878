import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { decodeText, DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { appendLine } from '../io/appendOnlyWriter.js';
import { invocationRecordOf, type InvocationRecord } from '../domain/loggerRecords.js';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { CommandFailed, UsageError } from '../errors.js';
import { INVOCATIONS_FILE, METRICS_FILE, WORKFLOW_EVENTS_FILE } from './files.js';
import { toPythonJson } from './pythonJson.js';

const KIND_OF_FILE: ReadonlyMap<string, SourceKind> = new Map(SOURCE_KINDS.map((kind) => [SOURCE_FILES[kind], kind]));

export type InvocationStatus = 'success' | 'failure' | 'partial';
const STATUSES: readonly string[] = ['success', 'failure', 'partial'];

export interface TelemetryLoggerOptions {
  dir: string;
  sessionId?: string;
  workflowId?: string;
  clock?: () => Date;
  newId?: () => string;
  env?: NodeJS.ProcessEnv;
  /** Longest record, in bytes without its newline, the readers accept (default: theirs, 1 MiB). */
  maxLineBytes?: number;
}

export interface LogInvocationOptions {
  agentName: string;
  agentType: string;
  taskDescription: string;
  taskType?: string;
  workflowId?: string;
  parentInvocationId?: string;
  stateFeatures?: Record<string, unknown>;
  specId?: string;
  toolsUsed?: string[];
  metadata?: Record<string, unknown>;
}

export interface UpdateInvocationOptions {
  durationSeconds: number;
  status: InvocationStatus;
  errorMessage?: string;
  filesModified?: string[];
  filesCreated?: string[];
  testsPassed?: boolean;
  buildSucceeded?: boolean;
}

export interface LogSuccessMetricOptions {
  invocationId: string;
  success: boolean;
  qualityRating: number;
  feedbackSource?: string;
  feedbackNotes?: string;
  wouldUseAgain?: boolean;
  alternativeAgentSuggested?: string;
}

export interface LogWorkflowStartOptions {
  workflowId?: string;
  projectName: string;
  agentPlan: string[];
  estimatedDuration?: number | null;
}

export interface LogAgentHandoffOptions {
  workflowId?: string;
  fromAgent: string;
  toAgent: string;
  artifacts?: string[];
}

export interface LogWorkflowCompleteOptions {
  workflowId?: string;
  durationSeconds: number;
  success: boolean;
  agentsExecuted: string[];
}

/** An invocation line as parsed or built; key order follows the reference logger. */
export type { InvocationRecord } from '../domain/loggerRecords.js';

/**
 * Writes OaK Phase 2 telemetry (same files, keys and key order as the Python logger), but
 * strictly append-only: an update appends a complete new line instead of rewriting the file,
 * so concurrent writers never lose each other's records. Readers take the last line per id.
 */
export class TelemetryLogger {
  readonly dir: string;
  readonly sessionId: string;
  readonly workflowId: string | null;
  private readonly clock: () => Date;
  private readonly newId: () => string;
  private readonly maxLineBytes: number;
  private readonly invocations = new Map<string, InvocationRecord>();

  constructor(options: TelemetryLoggerOptions) {
    const env = options.env ?? process.env;
    this.dir = options.dir;
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.sessionId = options.sessionId ?? nonEmpty(env.OAK_SESSION_ID) ?? randomUUID();
    this.workflowId = options.workflowId ?? nonEmpty(env.OAK_WORKFLOW_ID) ?? null;
  }

  logInvocation(options: LogInvocationOptions): string {
    requireText('agentName', options.agentName);
    requireText('agentType', options.agentType);
    if (typeof options.taskDescription !== 'string') throw new UsageError('taskDescription must be a string');
    const invocationId = this.newId();
    const record = invocationRecordOf({
      timestamp: this.timestamp(),
      sessionId: this.sessionId,
      invocationId,
      agentName: options.agentName,
      agentType: options.agentType,
      taskDescription: options.taskDescription,
      stateFeatures: stateFeatures(options.stateFeatures, options.taskType),
      parentInvocationId: options.parentInvocationId ?? null,
      workflowId: options.workflowId ?? this.workflowId,
      specId: options.specId ?? null,
      toolsUsed: options.toolsUsed ?? [],
      durationSeconds: null,
      status: 'unknown',
      errorMessage: null,
      metadata: options.metadata ?? {},
    });
    this.append(INVOCATIONS_FILE, record);
    this.invocations.set(invocationId, record);
    return invocationId;
  }

  /** Appends the whole record again (original timestamp and fields) with the outcome filled in. */
  updateInvocation(invocationId: string, options: UpdateInvocationOptions): void {
    requireNonNegative('durationSeconds', options.durationSeconds);
    if (!STATUSES.includes(options.status)) {
      throw new UsageError(`status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`);
    }
    const original = this.invocations.get(invocationId) ?? this.findLastOnDisk(invocationId);
    if (!original) throw new CommandFailed(`unknown invocation id ${JSON.stringify(invocationId)} in ${this.file(INVOCATIONS_FILE)}`);
    const updated: InvocationRecord = {
      ...original,
      duration_seconds: options.durationSeconds,
      outcome: {
        status: options.status,
        error_message: options.errorMessage ?? null,
        files_modified: options.filesModified ?? [],
        files_created: options.filesCreated ?? [],
        tests_passed: options.testsPassed ?? null,
        build_succeeded: options.buildSucceeded ?? null,
      },
    };
    this.append(INVOCATIONS_FILE, updated);
    this.invocations.set(invocationId, updated);
  }

  logSuccessMetric(options: LogSuccessMetricOptions): void {
    requireText('invocationId', options.invocationId);
    if (typeof options.success !== 'boolean') throw new UsageError(`success must be true or false, got ${String(options.success)}`);
    const q = options.qualityRating;
    if (!Number.isInteger(q) || q < 1 || q > 5) throw new UsageError(`quality rating must be an integer from 1 to 5, got ${String(q)}`);
    this.append(METRICS_FILE, {
      timestamp: this.timestamp(),
      invocation_id: options.invocationId,
      success: options.success,
      quality_rating: q,
      feedback_source: options.feedbackSource ?? 'human',
      feedback_notes: options.feedbackNotes ?? null,
      would_use_again: options.wouldUseAgain ?? null,
      alternative_agent_suggested: options.alternativeAgentSuggested ?? null,
    });
  }

  /** Returns the workflow id used: given, else the logger's default, else a new "wf-<uuid>". */
  logWorkflowStart(options: LogWorkflowStartOptions): string {
    const workflowId = options.workflowId ?? this.workflowId ?? `wf-${this.newId()}`;
    if (options.estimatedDuration != null) requireNonNegative('estimatedDuration', options.estimatedDuration);
    this.appendEvent('workflow_start', workflowId, {
      project_name: options.projectName,
      agent_plan: options.agentPlan,
      estimated_duration: options.estimatedDuration ?? null,
    });
    return workflowId;
  }

  logAgentHandoff(options: LogAgentHandoffOptions): void {
    requireText('fromAgent', options.fromAgent);
    requireText('toAgent', options.toAgent);
    this.appendEvent('agent_handoff', this.requireWorkflowId(options.workflowId), {
      from_agent: options.fromAgent,
      to_agent: options.toAgent,
      artifacts: options.artifacts ?? [],
    });
  }

  logWorkflowComplete(options: LogWorkflowCompleteOptions): void {
    const workflowId = this.requireWorkflowId(options.workflowId);
    requireNonNegative('durationSeconds', options.durationSeconds);
    if (typeof options.success !== 'boolean') throw new UsageError(`success must be true or false, got ${String(options.success)}`);
    this.appendEvent('workflow_complete', workflowId, {
      duration_seconds: options.durationSeconds,
      success: options.success,
      agents_executed: options.agentsExecuted,
    });
  }

  private appendEvent(event: string, workflowId: string, fields: Record<string, unknown>): void {
    this.append(WORKFLOW_EVENTS_FILE, {
      timestamp: this.timestamp(),
      event,
      workflow_id: workflowId,
      session_id: this.sessionId,
      ...fields,
    });
  }

  private requireWorkflowId(given: string | undefined): string {
    const id = given ?? this.workflowId;
    if (!id) throw new UsageError('a workflow id is required (pass one, or set OAK_WORKFLOW_ID)');
    return id;
  }

  /** Another process may have logged the invocation: the last line with its id is its current state. */
  private findLastOnDisk(invocationId: string): InvocationRecord | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file(INVOCATIONS_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.ioFailure('cannot read', this.file(INVOCATIONS_FILE), err);
    }
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (!line.includes(invocationId)) continue; // cheap filter before parsing
      try {
        const parsed: unknown = JSON.parse(line);
        if (isRecord(parsed) && parsed.invocation_id === invocationId) return parsed as InvocationRecord;
      } catch {
        // A foreign or damaged line: not ours to judge here, skip it.
      }
    }
    return undefined;
  }

  /**
   * Every reader rejects a line longer than its limit, so such a record would be lost after
   * "success": refuse it before writing. A write that fails says where and why, in one line.
   */
  private append(fileName: string, record: Record<string, unknown>): void {
    const file = this.file(fileName);
    const line = toPythonJson(record);
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > this.maxLineBytes) {
      throw new CommandFailed(
        `record for ${file} is ${bytes} bytes, over the readers' limit of ${this.maxLineBytes} bytes per line (--max-line-bytes); nothing written`,
      );
    }
    // The same decode every reader runs: a record they would reject (a 1 MB agent name, a
    // negative duration, a time in the year 2999) is refused here, not lost after "success".
    const kind = KIND_OF_FILE.get(fileName);
    const outcome = kind === undefined ? null : decodeText(kind, line);
    if (outcome?.type === 'rejected') {
      throw new CommandFailed(`record for ${file} would be rejected by every reader: ${outcome.reason}; nothing written`);
    }
    try {
      appendLine(file, line);
    } catch (err) {
      throw this.ioFailure('cannot append to', file, err);
    }
  }

  /** An I/O error as one line naming the path and the problem (no stack: it is not our bug). */
  private ioFailure(action: string, file: string, err: unknown): CommandFailed {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOTDIR' || code === 'EEXIST') && isNonDirectory(this.dir)) {
      return new CommandFailed(`${this.dir} is not a directory (ENOTDIR)`);
    }
    // Node's "EACCES: permission denied, open '/x'": keep the reason, we name the path ourselves.
    const message = err instanceof Error ? err.message : String(err);
    const reason = /^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
    return new CommandFailed(`${action} ${file}: ${reason}${code === undefined ? '' : ` (${code})`}`);
  }

  private file(fileName: string): string {
    return path.join(this.dir, fileName);
  }

  /** Python's utcnow().isoformat() + "Z" has microseconds; a JS Date has ms, so pad to 6 digits. */
  private timestamp(): string {
    return this.clock().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }
}

function stateFeatures(given: Record<string, unknown> | undefined, taskType: string | undefined): Record<string, unknown> {
  const features: Record<string, unknown> = { ...(given ?? {}) };
  if (taskType !== undefined) {
    const task = isRecord(features.task) ? features.task : {};
    const { type: _ignored, ...rest } = task;
    features.task = { type: taskType, ...rest }; // "type" first, as in the reference files
  }
  return features;
}

/** True when `dir` exists as something else (a file: mkdir then says EEXIST, open ENOTDIR). */
function isNonDirectory(dir: string): boolean {
  try {
    return !fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function requireText(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${name} must be a non-empty string`);
}

function requireNonNegative(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${name} must be a number >= 0, got ${String(value)}`);
  }
}
