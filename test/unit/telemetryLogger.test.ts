import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryLogger } from '../../src/logger/telemetryLogger.js';
import { INVOCATIONS_FILE, METRICS_FILE, WORKFLOW_EVENTS_FILE } from '../../src/logger/files.js';
import { CommandFailed, UsageError } from '../../src/errors.js';

// Key order of the Python OaK Phase 2 logger, copied from its files (parity/seed-single-workflow).
const INVOCATION_KEYS = [
  'timestamp', 'session_id', 'invocation_id', 'agent_name', 'agent_type', 'task_description',
  'state_features', 'parent_invocation_id', 'workflow_id', 'spec_id', 'spec_section', 'agent_variant',
  'task_type', 'q_value', 'exploration', 'reward', 'learning_enabled', 'tools_used', 'duration_seconds',
  'outcome', 'metadata',
];
const OUTCOME_KEYS = ['status', 'error_message', 'files_modified', 'files_created', 'tests_passed', 'build_succeeded'];
const METRIC_KEYS = [
  'timestamp', 'invocation_id', 'success', 'quality_rating', 'feedback_source', 'feedback_notes',
  'would_use_again', 'alternative_agent_suggested',
];
const EVENT_HEAD = ['timestamp', 'event', 'workflow_id', 'session_id'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-logger-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A clock that advances one second per call, so "kept the original timestamp" is testable. */
function steppingClock(start = Date.parse('2026-11-24T03:02:21.858Z')): () => Date {
  let t = start;
  return () => new Date((t += 1000) - 1000);
}

function makeLogger(extra: Partial<ConstructorParameters<typeof TelemetryLogger>[0]> = {}): TelemetryLogger {
  let n = 0;
  return new TelemetryLogger({
    dir,
    env: {},
    sessionId: 'sess-1',
    clock: steppingClock(),
    newId: () => `id-${++n}`,
    ...extra,
  });
}

function readText(file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}
function readLines(file: string): Record<string, any>[] {
  const text = readText(file);
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l));
}

describe('logInvocation', () => {
  it('appends a record with the reference keys, in order, and returns its id', () => {
    const logger = makeLogger();
    const id = logger.logInvocation({
      agentName: 'backend-architect',
      agentType: 'development',
      taskDescription: 'Implement API endpoints',
      taskType: 'backend_development',
      workflowId: 'wf-9',
    });
    expect(id).toBe('id-1');
    const [rec, ...rest] = readLines(INVOCATIONS_FILE);
    expect(rest).toHaveLength(0);
    expect(Object.keys(rec!)).toEqual(INVOCATION_KEYS);
    expect(Object.keys(rec!.outcome)).toEqual(OUTCOME_KEYS);
    expect(rec).toMatchObject({
      timestamp: '2026-11-24T03:02:21.858000Z',
      session_id: 'sess-1',
      invocation_id: 'id-1',
      agent_name: 'backend-architect',
      agent_type: 'development',
      task_description: 'Implement API endpoints',
      state_features: { task: { type: 'backend_development' } },
      parent_invocation_id: null,
      workflow_id: 'wf-9',
      spec_section: [],
      task_type: null,
      learning_enabled: false,
      tools_used: [],
      duration_seconds: null,
      outcome: { status: 'unknown', error_message: null, files_modified: [], files_created: [], tests_passed: null, build_succeeded: null },
      metadata: {},
    });
  });

  it('writes empty state_features without a task type and puts "type" first when merging', () => {
    const logger = makeLogger();
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' });
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x', taskType: 'testing', stateFeatures: { task: { scope: 'large' } } });
    const [plain, merged] = readLines(INVOCATIONS_FILE);
    expect(plain!.state_features).toEqual({});
    expect(JSON.stringify(merged!.state_features)).toBe('{"task":{"type":"testing","scope":"large"}}');
  });

  it('writes Python json.dumps style: ", " / ": " separators and \\uXXXX escapes', () => {
    makeLogger().logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'Ünïcode ✓ 😀\u007f' });
    const line = readText(INVOCATIONS_FILE);
    expect(line).toContain('"task_description": "\\u00dcn\\u00efcode \\u2713 \\ud83d\\ude00\\u007f", ');
    expect(line.startsWith('{"timestamp": "2026-11-24T03:02:21.858000Z", "session_id": "sess-1", ')).toBe(true);
    expect(JSON.parse(line).task_description).toBe('Ünïcode ✓ 😀\u007f');
  });

  it('generates real UUIDs by default', () => {
    const logger = new TelemetryLogger({ dir, env: {} });
    expect(logger.sessionId).toMatch(UUID);
    expect(logger.workflowId).toBeNull();
    expect(logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' })).toMatch(UUID);
  });
});

describe('updateInvocation', () => {
  it('appends a complete new record and never rewrites what is already there', () => {
    const logger = makeLogger();
    const id = logger.logInvocation({ agentName: 'coder', agentType: 'dev', taskDescription: 'build', taskType: 'feature' });
    // A line from some other writer lands between log and update: it must survive byte for byte.
    const foreign = '{"timestamp": "2026-01-01T00:00:00Z", "invocation_id": "other", "agent_name": "z"}\n';
    fs.appendFileSync(path.join(dir, INVOCATIONS_FILE), foreign);
    const before = readText(INVOCATIONS_FILE);

    logger.updateInvocation(id, { durationSeconds: 42.5, status: 'failure', errorMessage: 'boom', filesModified: ['a.ts'], testsPassed: false });

    const after = readText(INVOCATIONS_FILE);
    expect(after.startsWith(before)).toBe(true);
    const lines = readLines(INVOCATIONS_FILE);
    expect(lines).toHaveLength(3);
    const [first, other, updated] = lines;
    expect(other!.invocation_id).toBe('other');
    expect(Object.keys(updated!)).toEqual(INVOCATION_KEYS);
    expect(updated!.timestamp).toBe(first!.timestamp); // the original time, though the clock moved on
    expect({ ...updated, duration_seconds: null, outcome: null }).toEqual({ ...first, duration_seconds: null, outcome: null });
    expect(updated!.duration_seconds).toBe(42.5);
    expect(updated!.outcome).toEqual({
      status: 'failure', error_message: 'boom', files_modified: ['a.ts'], files_created: [], tests_passed: false, build_succeeded: null,
    });
  });

  it('finds an invocation logged by another process: the last line with its id, skipping bad lines', () => {
    const first = makeLogger({ sessionId: 'writer' });
    const id = first.logInvocation({ agentName: 'planner', agentType: 'arch', taskDescription: 'plan' });
    first.updateInvocation(id, { durationSeconds: 1, status: 'partial', filesCreated: ['plan.md'] });
    fs.appendFileSync(path.join(dir, INVOCATIONS_FILE), `not json but mentions ${id}\n{"invocation_id": "${id}", "torn\n`);

    const second = makeLogger({ sessionId: 'reader' });
    second.updateInvocation(id, { durationSeconds: 9, status: 'success' });

    const text = readText(INVOCATIONS_FILE);
    expect(text.split('\n')).toHaveLength(6); // 4 earlier lines kept, 1 appended, trailing ""
    const last = JSON.parse(text.trimEnd().split('\n').pop()!);
    expect(last.session_id).toBe('writer'); // the original record, not the updating logger's session
    expect(last.agent_name).toBe('planner');
    expect(last.duration_seconds).toBe(9);
    expect(last.outcome.status).toBe('success');
    expect(last.outcome.files_created).toEqual([]);
  });

  it('throws CommandFailed for an unknown id and writes nothing', () => {
    const logger = makeLogger();
    expect(() => logger.updateInvocation('nope', { durationSeconds: 1, status: 'success' })).toThrow(CommandFailed);
    expect(fs.existsSync(path.join(dir, INVOCATIONS_FILE))).toBe(false);
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' });
    const before = readText(INVOCATIONS_FILE);
    expect(() => logger.updateInvocation('nope', { durationSeconds: 1, status: 'success' })).toThrow(/unknown invocation id "nope"/);
    expect(readText(INVOCATIONS_FILE)).toBe(before);
  });

  it('rejects a bad status or duration with UsageError', () => {
    const logger = makeLogger();
    const id = logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' });
    expect(() => logger.updateInvocation(id, { durationSeconds: -1, status: 'success' })).toThrow(UsageError);
    expect(() => logger.updateInvocation(id, { durationSeconds: 1, status: 'done' as never })).toThrow(UsageError);
    expect(readLines(INVOCATIONS_FILE)).toHaveLength(1);
  });
});

describe('environment defaults', () => {
  it('takes session and workflow ids from OAK_SESSION_ID / OAK_WORKFLOW_ID', () => {
    const logger = new TelemetryLogger({ dir, env: { OAK_SESSION_ID: 'sess-env', OAK_WORKFLOW_ID: 'wf-env' } });
    expect(logger.sessionId).toBe('sess-env');
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' });
    logger.logAgentHandoff({ fromAgent: 'a', toAgent: 'b' });
    expect(logger.logWorkflowStart({ projectName: 'p', agentPlan: [] })).toBe('wf-env');
    const [inv] = readLines(INVOCATIONS_FILE);
    expect(inv).toMatchObject({ session_id: 'sess-env', workflow_id: 'wf-env' });
    const events = readLines(WORKFLOW_EVENTS_FILE);
    expect(events.map((e) => [e.event, e.workflow_id, e.session_id])).toEqual([
      ['agent_handoff', 'wf-env', 'sess-env'],
      ['workflow_start', 'wf-env', 'sess-env'],
    ]);
  });

  it('lets explicit options win over the environment', () => {
    const logger = new TelemetryLogger({ dir, sessionId: 's', workflowId: 'w', env: { OAK_SESSION_ID: 'x', OAK_WORKFLOW_ID: 'y' } });
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x', workflowId: 'w2' });
    expect(readLines(INVOCATIONS_FILE)[0]).toMatchObject({ session_id: 's', workflow_id: 'w2' });
    expect(logger.workflowId).toBe('w');
  });

  it('keeps one random session id for the life of a logger', () => {
    const logger = new TelemetryLogger({ dir, env: {} });
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'x' });
    logger.logWorkflowStart({ workflowId: 'w', projectName: 'p', agentPlan: [] });
    const other = new TelemetryLogger({ dir, env: {} });
    expect(other.sessionId).not.toBe(logger.sessionId);
    expect(readLines(INVOCATIONS_FILE)[0]!.session_id).toBe(logger.sessionId);
    expect(readLines(WORKFLOW_EVENTS_FILE)[0]!.session_id).toBe(logger.sessionId);
  });
});

describe('logSuccessMetric', () => {
  it('appends the reference keys with defaults', () => {
    makeLogger().logSuccessMetric({ invocationId: 'inv-1', success: true, qualityRating: 4 });
    const [m] = readLines(METRICS_FILE);
    expect(Object.keys(m!)).toEqual(METRIC_KEYS);
    expect(m).toEqual({
      timestamp: '2026-11-24T03:02:21.858000Z', invocation_id: 'inv-1', success: true, quality_rating: 4,
      feedback_source: 'human', feedback_notes: null, would_use_again: null, alternative_agent_suggested: null,
    });
  });

  it.each([0, 6, 3.5, Number.NaN, '4' as unknown as number])('rejects quality %s and writes nothing', (q) => {
    expect(() => makeLogger().logSuccessMetric({ invocationId: 'i', success: true, qualityRating: q })).toThrow(UsageError);
    expect(fs.existsSync(path.join(dir, METRICS_FILE))).toBe(false);
  });

  it('rejects a non-boolean success and writes nothing', () => {
    expect(() => makeLogger().logSuccessMetric({ invocationId: 'i', success: 'true' as never, qualityRating: 3 })).toThrow(UsageError);
    expect(fs.existsSync(path.join(dir, METRICS_FILE))).toBe(false);
  });
});

describe('workflow events', () => {
  it('writes start, handoff and complete with the reference keys', () => {
    const logger = makeLogger();
    const wf = logger.logWorkflowStart({ projectName: 'Shop', agentPlan: ['a', 'b'], estimatedDuration: 7200 });
    expect(wf).toBe('wf-id-1');
    logger.logAgentHandoff({ workflowId: wf, fromAgent: 'a', toAgent: 'b', artifacts: ['out.md'] });
    logger.logWorkflowComplete({ workflowId: wf, durationSeconds: 6500, success: true, agentsExecuted: ['a', 'b'] });
    const [start, handoff, complete] = readLines(WORKFLOW_EVENTS_FILE);
    expect(Object.keys(start!)).toEqual([...EVENT_HEAD, 'project_name', 'agent_plan', 'estimated_duration']);
    expect(Object.keys(handoff!)).toEqual([...EVENT_HEAD, 'from_agent', 'to_agent', 'artifacts']);
    expect(Object.keys(complete!)).toEqual([...EVENT_HEAD, 'duration_seconds', 'success', 'agents_executed']);
    expect(start).toMatchObject({ event: 'workflow_start', workflow_id: 'wf-id-1', session_id: 'sess-1', project_name: 'Shop', agent_plan: ['a', 'b'], estimated_duration: 7200 });
    expect(handoff).toMatchObject({ event: 'agent_handoff', from_agent: 'a', to_agent: 'b', artifacts: ['out.md'] });
    expect(complete).toMatchObject({ event: 'workflow_complete', duration_seconds: 6500, success: true, agents_executed: ['a', 'b'] });
  });

  it('writes estimated_duration null when not given', () => {
    makeLogger().logWorkflowStart({ workflowId: 'w', projectName: 'p', agentPlan: [] });
    expect(readLines(WORKFLOW_EVENTS_FILE)[0]!.estimated_duration).toBeNull();
  });

  it('requires a workflow id for handoff and complete when there is no default', () => {
    const logger = makeLogger();
    expect(() => logger.logAgentHandoff({ fromAgent: 'a', toAgent: 'b' })).toThrow(UsageError);
    expect(() => logger.logWorkflowComplete({ durationSeconds: 1, success: true, agentsExecuted: [] })).toThrow(UsageError);
    expect(fs.existsSync(path.join(dir, WORKFLOW_EVENTS_FILE))).toBe(false);
  });
});

describe('records longer than the readers accept', () => {
  it("refuses a record over the readers' default limit (1 MiB) and writes nothing", () => {
    const logger = makeLogger();
    const task = 'y'.repeat(1024 * 1024);
    expect(() => logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: task })).toThrow(CommandFailed);
    expect(() => logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: task })).toThrow(/limit of 1048576 bytes/);
    expect(fs.existsSync(path.join(dir, INVOCATIONS_FILE))).toBe(false);
  });

  it('accepts a record of exactly the limit (the limit counts the line without its newline)', () => {
    const probe = makeLogger({ maxLineBytes: 100_000 });
    probe.logInvocation({ agentName: 'a', agentType: 't', taskDescription: '' });
    const emptyTaskBytes = Buffer.byteLength(readText(INVOCATIONS_FILE)) - 1;
    fs.rmSync(path.join(dir, INVOCATIONS_FILE));
    const limit = emptyTaskBytes + 500;
    const logger = makeLogger({ maxLineBytes: limit });
    logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'z'.repeat(500) });
    expect(Buffer.byteLength(readText(INVOCATIONS_FILE))).toBe(limit + 1);
    expect(() => logger.logInvocation({ agentName: 'a', agentType: 't', taskDescription: 'z'.repeat(501) })).toThrow(/is \d+ bytes, over/);
  });
});

describe('records the readers would reject for their content', () => {
  it('refuses a name beyond the decode limit and writes nothing, with the reader\'s reason', () => {
    const logger = makeLogger();
    expect(() => logger.logInvocation({ agentName: 'n'.repeat(257), agentType: 't', taskDescription: '' })).toThrow(
      /would be rejected by every reader: agent_name is 257 characters long; the limit is 256; nothing written/,
    );
    expect(fs.existsSync(path.join(dir, INVOCATIONS_FILE))).toBe(false);
    logger.logInvocation({ agentName: 'n'.repeat(256), agentType: 't', taskDescription: '' });
    expect(readText(INVOCATIONS_FILE).split('\n')).toHaveLength(2);
  });
});
