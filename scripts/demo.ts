/**
 * `npm run demo`: the daemon, live. Starts `oak-telemetry daemon` on a temp directory, runs
 * simulated agents that write telemetry through the TelemetryLogger for about 20 seconds,
 * and prints the live figures from snapshot.json as they change. Midway, coordination slows
 * down (long gaps between agents), which raises the overhead alert; then it recovers and the
 * alert resolves. Then the daemon keeps serving the dashboard until Ctrl-C, and the files stay
 * for the queries (`--seconds N` shortens the simulation: the test runs it for 2).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TelemetryLogger } from '../src/logger/telemetryLogger.js';

const AGENTS = [
  { agent: 'systems-architect', type: 'architecture', task: 'Design the payment API schema', taskType: 'architecture_design' },
  { agent: 'backend-architect', type: 'development', task: 'Implement payment API endpoints', taskType: 'api_development' },
  { agent: 'frontend-developer', type: 'development', task: 'Build checkout page in React', taskType: 'ui_development' },
  { agent: 'qa-specialist', type: 'quality', task: 'Test checkout end to end', taskType: 'testing' },
];
const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
const DEMO_SECONDS = Number(values.seconds ?? 20);
if (!Number.isFinite(DEMO_SECONDS) || DEMO_SECONDS <= 0) {
  process.stderr.write('usage: demo [--seconds N>0]\n');
  process.exit(2);
}
const WORKFLOW_EVERY_MS = 400;
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Simulated time: each workflow covers about an hour of agent work. */
let simulated = Date.parse('2026-11-20T08:00:00Z');

function runWorkflow(logger: TelemetryLogger, n: number, gapMinutes: number): void {
  const workflowId = `live-wf-${n}`;
  const steps = AGENTS.slice(0, 2 + (n % 3));
  const startedAt = simulated;
  const clockAt = () => new Date(simulated);
  const at = new TelemetryLogger({ dir: logger.dir, sessionId: logger.sessionId, clock: clockAt });
  at.logWorkflowStart({ workflowId, projectName: 'shop', agentPlan: steps.map((s) => s.agent), estimatedDuration: 3600 });
  let previous: string | undefined;
  for (const [i, step] of steps.entries()) {
    simulated += gapMinutes * 60_000;
    if (previous !== undefined) at.logAgentHandoff({ workflowId, fromAgent: previous, toAgent: step.agent });
    const id = at.logInvocation({ agentName: step.agent, agentType: step.type, taskDescription: step.task, taskType: step.taskType, workflowId });
    const minutes = 10 + ((n * 7 + i * 5) % 15);
    simulated += minutes * 60_000;
    const failed = (n + i) % 9 === 0;
    at.updateInvocation(id, { durationSeconds: minutes * 60, status: failed ? 'failure' : 'success', errorMessage: failed ? 'tests failed' : undefined });
    at.logSuccessMetric({ invocationId: id, success: !failed, qualityRating: failed ? 2 : 4 + ((n + i) % 2) });
    previous = step.agent;
  }
  simulated += gapMinutes * 60_000;
  at.logWorkflowComplete({ workflowId, durationSeconds: Math.round((simulated - startedAt) / 1000), success: true, agentsExecuted: steps.map((s) => s.agent) });
}

interface LiveSnapshot {
  health: { events_applied: number };
  stats: { total_invocations: number };
  workflows: { total_workflows: number };
  overhead: { coordination_overhead_pct: number };
  alerts: { active: Array<{ alert: string; details: { overhead_pct?: number } }> };
}

function readSnapshot(file: string): LiveSnapshot | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LiveSnapshot;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-telemetry-live-'));
  const config = path.join(dir, 'demo-config.json');
  fs.writeFileSync(config, JSON.stringify({ pollIntervalMs: 500, alerts: { overhead: { window: 5 } } }));
  process.stdout.write(`oak-telemetry live demo: telemetry in ${dir}\n\n`);
  const daemon = spawn(process.execPath, [cli, 'daemon', '--dir', dir, '--config', config, '--log-level', 'info', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let url: string | undefined;
  // Ctrl-C at any point: the daemon writes its last snapshot and checkpoint, the files stay.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const exited = daemon.exitCode === null && daemon.signalCode === null ? new Promise((resolve) => daemon.once('exit', resolve)) : Promise.resolve();
      daemon.kill('SIGTERM');
      void exited.then(() => {
        process.stdout.write(`\nDaemon stopped. The telemetry stays in ${dir}; serve it again: npx oak-telemetry daemon --dir ${dir}\n`);
        process.exit(0);
      });
    });
  }
  let buffered = '';
  daemon.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const entry = JSON.parse(line) as { msg: string; alert?: string; overhead_pct?: number; resolved?: boolean; url?: string };
        // A free port, so the demo runs beside a daemon already on 7467.
        if (entry.msg === 'http listening') url = entry.url;
        if (entry.msg === 'http listening') process.stdout.write(`  >> daemon: live dashboard at ${entry.url} (API under ${entry.url}api/v1/)\n`);
        if (entry.alert === 'coordination_overhead') {
          process.stdout.write(`  >> daemon: ${entry.msg}${entry.overhead_pct !== undefined ? ` (overhead ${entry.overhead_pct}% over the last 5 workflows)` : ''}\n`);
        }
      } catch {
        // not a log line
      }
    }
  });
  const snapshotFile = path.join(dir, '.oak-telemetry', 'snapshot.json');
  while (readSnapshot(snapshotFile) === null) await sleep(50);

  const logger = new TelemetryLogger({ dir, sessionId: 'live-demo' });
  const began = Date.now();
  let n = 0;
  let last = '';
  const show = () => {
    const s = readSnapshot(snapshotFile);
    if (s === null) return;
    const alert = s.alerts.active.find((a) => a.alert === 'coordination_overhead');
    const line =
      `${((Date.now() - began) / 1000).toFixed(1).padStart(5)} s  invocations ${String(s.stats.total_invocations).padStart(4)}` +
      `  workflows ${String(s.workflows.total_workflows).padStart(3)}  overhead (all) ${s.overhead.coordination_overhead_pct.toFixed(2).padStart(6)}%` +
      `  alert: ${alert ? `COORDINATION OVERHEAD ${alert.details.overhead_pct}%` : 'none'}`;
    if (line.slice(8) !== last) {
      last = line.slice(8);
      process.stdout.write(line + '\n');
    }
  };
  while (Date.now() - began < DEMO_SECONDS * 1000) {
    const phase = (Date.now() - began) / 1000;
    // Slow coordination between seconds 7 and 12: agents wait a long time for each other.
    const gap = phase > 7 && phase < 12 ? 40 : 1;
    runWorkflow(logger, n++, gap);
    await sleep(WORKFLOW_EVERY_MS);
    show();
  }
  await sleep(500);
  show();
  process.stdout.write(
    `\nThe agents are done; the daemon keeps serving ${url ?? 'its dashboard'} until Ctrl-C.\n` +
      `Ask it from another shell: npx oak-telemetry report --dir ${dir}\n`,
  );
}

await main();
