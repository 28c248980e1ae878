/**
 * One real Claude Code run seen two ways: the hooks `init claude-code` installs write to dir A,
 * and Claude Code's own OTLP export (logs and, with the enhanced-telemetry beta, traces) goes to
 * a real `oak-telemetry receive --otlp` writing dir B. The records (last per invocation and
 * workflow, hand-offs) and the answers of `stats`, `workflows` and `handoffs` must be the same,
 * times and durations aside (each side has its own clock readings). The real `claude` CLI runs
 * against the fake Messages API on loopback; the exporter points at loopback: nothing leaves the
 * machine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt, runCliJson } from '../support/cliRunner.js';
import { agentCall, answered, claudeMissing, initHooks, makeClaudeProject, runClaude, type AgentDefinition, type ClaudeProject } from '../support/claudeCode.js';
import { DaemonProcess, readJsonLines, startOtlpReceiver } from '../support/daemonHarness.js';
import { startFakeAnthropic, type FakeAnthropic, type ModelCall, type Reply } from '../support/fakeAnthropic.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const AGENTS: AgentDefinition[] = [
  { name: 'backend-architect', description: 'Designs APIs', category: 'development' },
  { name: 'frontend-dev', description: 'Builds UIs', category: 'frontend' },
];

let api: FakeAnthropic | undefined;
const receivers: DaemonProcess[] = [];
const temp = tempDirsPerTest(async () => {
  for (const r of receivers.splice(0)) await r.kill9();
  await api?.close();
  api = undefined;
});
beforeAll(() => {
  if (claudeMissing === undefined) expectBuilt();
});



const SCENARIOS: Record<string, (call: ModelCall) => Reply> = {
  'a subagent that delegates to another': (call) => {
    if (call.agent === 'frontend-dev') return { text: 'Form built.' };
    if (call.agent === 'backend-architect') return call.toolResults.length > 0 ? { text: 'API designed, form delegated.' } : { toolUses: [agentCall('Build login form', 'frontend-dev', false)] };
    return answered(call) ? { text: 'Done.' } : { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
  },
  'a subagent whose API call fails': (call) => {
    if (call.agent === 'backend-architect') return { error: { status: 400, type: 'invalid_request_error', message: 'fake subagent failure' } };
    return answered(call) ? { text: 'The subagent failed.' } : { toolUses: [agentCall('Design login API', 'backend-architect', false)] };
  },
  'two subagents in parallel in the background': (call) => {
    if (call.agent !== 'main') return { text: `${call.agent} finished.` };
    if (call.turn === 0) return { toolUses: [agentCall('Design login API', 'backend-architect', true), agentCall('Build login form', 'frontend-dev', true)] };
    return { text: 'Reporting on the background agents.' };
  },
};

async function startReceiver(dir: string): Promise<{ receiver: DaemonProcess; url: string }> {
  const started = await startOtlpReceiver(dir);
  receivers.push(started.receiver);
  return started;
}

/** Claude Code's telemetry switched on, exported to `endpoint` in `protocol`, with short export intervals. */
function telemetryEnv(project: ClaudeProject, endpoint: string, protocol: 'http/protobuf' | 'http/json'): Record<string, string> {
  return {
    CLAUDE_CODE_ENABLE_TELEMETRY: '1',
    CLAUDE_CODE_ENHANCED_TELEMETRY_BETA: '1',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_LOG_TOOL_DETAILS: '1',
    OTEL_RESOURCE_ATTRIBUTES: `oak.project.dir=${encodeURIComponent(project.root)}`,
    OTEL_LOGS_EXPORT_INTERVAL: '200',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

const lastBy = (rows: Record<string, unknown>[], key: string) => [...new Map(rows.map((r) => [String(r[key]), r])).values()];

/** The records, last per id, without what each side reads off its own clock. */
function records(dir: string) {
  const invocations = lastBy(readJsonLines(path.join(dir, 'agent_invocations.jsonl')), 'invocation_id').map(({ timestamp: _t, duration_seconds: _d, ...rest }) => rest);
  const events = readJsonLines(path.join(dir, 'workflow_events.jsonl'));
  const of = (kind: string) => events.filter((e) => e.event === kind).map(({ timestamp: _t, duration_seconds: _d, ...rest }) => rest);
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  return {
    invocations: invocations.sort(byId),
    starts: of('workflow_start').sort(byId),
    handoffs: of('agent_handoff').sort(byId),
    completes: lastBy(of('workflow_complete'), 'workflow_id').sort(byId),
  };
}

/** Every number under a key naming a time or duration is left out: the two sides measure them apart. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !/duration|seconds|time|timestamp|generated|^at$|_at$|date_range|latency|overhead|throughput|per_hour/i.test(key))
      .map(([key, v]) => [key, withoutTimes(v)]),
  );
}

/**
 * Two subagents launched together start within a millisecond; the hook stamps each start when
 * its own hook process runs, so their order is a race on that side. Where it is, order is left out.
 */
function unordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unordered).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (typeof value === 'string' && value.includes('→')) return value.split('→').sort().join('→');
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, unordered(v)]));
}

function answers(dir: string) {
  const ask = (command: string): unknown => withoutTimes(runCliJson([command, '--dir', dir, '--source', 'replay']));
  return { stats: ask('stats'), workflows: ask('workflows'), handoffs: ask('handoffs') };
}

/** Until the rows of `file` satisfy `done`, woken by changes in its directory (and a 100 ms check, as fs.watch may coalesce). */
async function waitForFile(file: string, done: (rows: Record<string, unknown>[]) => boolean, receiver: DaemonProcess, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let watcher: fs.FSWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done(readJsonLines(file))) resolve();
        else if (receiver.hasExited) reject(new Error(`the receiver exited while waiting for ${what}\n${receiver.describe()}`));
        else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}\n${receiver.describe()}`));
      };
      watcher = fs.watch(path.dirname(file), check);
      poll = setInterval(check, 100);
      check();
    });
  } finally {
    watcher?.close();
    clearInterval(poll);
  }
}

describe.skipIf(claudeMissing !== undefined)(`Claude Code seen by its hooks and by its own OTLP export${claudeMissing ? ` (skipped: ${claudeMissing})` : ''}`, () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    for (const [name, script] of Object.entries(SCENARIOS)) {
      it(`${name} (${protocol}): the same records and answers both ways`, async () => {
        const project = makeClaudeProject(temp, AGENTS);
        const hooksDir = path.join(project.root, 'telemetry-hooks');
        const otlpDir = path.join(project.root, 'telemetry-otlp');
        fs.mkdirSync(otlpDir, { recursive: true });
        initHooks(project, hooksDir);
        const { receiver, url } = await startReceiver(otlpDir);
        api = await startFakeAnthropic(script);

        const run = await runClaude(project, { apiUrl: api.url, prompt: 'Build the login feature', env: telemetryEnv(project, url, protocol) });
        expect(run.code, `claude -p exited ${run.code}\n${run.stderr}\n${run.stdout}`).toBe(0);

        // The hooks ran inside the run; the export may still be on its way: wait for its workflow_complete(s).
        const hookCompletes = new Set(readJsonLines(path.join(hooksDir, 'workflow_events.jsonl')).filter((e) => e.event === 'workflow_complete').map((e) => e.workflow_id));
        expect(hookCompletes.size).toBeGreaterThan(0);
        await waitForFile(
          path.join(otlpDir, 'workflow_events.jsonl'),
          (rows) => new Set(rows.filter((e) => e.event === 'workflow_complete').map((e) => e.workflow_id)).size >= hookCompletes.size,
          receiver,
          'the OTLP side to complete its workflows',
        );
        await receiver.stop();

        const same = name.includes('parallel') ? unordered : (v: unknown) => v;
        const viaHooks = records(hooksDir);
        const viaOtlp = records(otlpDir);
        expect(same(viaOtlp)).toEqual(same(viaHooks));
        expect(same(answers(otlpDir))).toEqual(same(answers(hooksDir)));
        // The sides agree on something: each scenario has subagents, hand-offs and a workflow.
        expect(viaHooks.invocations.length).toBeGreaterThan(0);
        expect(viaHooks.handoffs.length).toBe(viaHooks.invocations.length);
      });
    }
  }
});
