/**
 * `npm run demo:claude-code`: a scripted Claude Code session feeding the live daemon and its
 * dashboard. Makes a temp project with four subagent definitions, installs the hooks with
 * `init claude-code`, starts `oak-telemetry daemon` on the project's telemetry dir, then runs the
 * real `claude -p` (the pinned devDependency) a few times against the fake Messages API of the
 * tests: delegations in the foreground, in the background, nested, and one whose API call fails.
 * After each prompt it prints the daemon's figures; then it keeps the daemon serving until
 * Ctrl-C and removes its temp dirs. Nothing leaves the machine.
 *
 *   --prompts N    run only the first N prompts (default: all 6)
 *   --pause-ms MS  pause between prompts, so the dashboard can be watched (default 3000)
 *   --claude PATH  the claude binary (default: node_modules/.bin/claude)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLAUDE_BIN, createClaudeProject, killClaude, runClaude } from './support/claudeCode.js';
import { DEMO_AGENTS, DEMO_PROMPTS, demoScript, describeDelegations } from './support/claudeDemoSession.js';
import { formatFigures, readFigures, waitForDaemon } from './support/daemonFigures.js';
import { startFakeAnthropic, type FakeAnthropic } from './support/fakeAnthropic.js';

// The CLI as shipped (the package's bin): init writes its path into the hooks.
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'oak-telemetry.js');
const out = (line = ''): void => void process.stdout.write(line + '\n');

const { values } = parseArgs({
  options: { prompts: { type: 'string' }, 'pause-ms': { type: 'string' }, claude: { type: 'string' } },
});
const promptCount = Math.min(Number(values.prompts ?? DEMO_PROMPTS.length), DEMO_PROMPTS.length);
const pauseMs = Number(values['pause-ms'] ?? 3000);
const claudeBin = values.claude ?? CLAUDE_BIN;
if (!Number.isInteger(promptCount) || promptCount < 1 || !Number.isFinite(pauseMs) || pauseMs < 0) {
  process.stderr.write('usage: demoClaudeCode [--prompts N>=1] [--pause-ms MS>=0] [--claude PATH]\n');
  process.exit(2);
}
if (!fs.existsSync(claudeBin)) {
  process.stderr.write(`The claude CLI is not installed at ${claudeBin} (npm devDependency @anthropic-ai/claude-code; run npm ci).\n`);
  process.exit(1);
}

/** The user's OAK_* settings would steer init and the daemon away from the demo's dirs. */
function demoEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OAK_')));
}

/** Starts the daemon with a free HTTP port; resolves with the dashboard URL it logs. */
function startDaemon(dir: string): Promise<{ daemon: ChildProcess; url: string }> {
  const daemon = spawn(process.execPath, [cli, 'daemon', '--dir', dir, '--create-dir', '--http', '127.0.0.1:0', '--log-level', 'info'], {
    env: demoEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let rest = '';
    daemon.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before serving HTTP`)));
    daemon.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string; level?: number };
          if (entry.msg === 'http listening' && entry.url !== undefined) resolve({ daemon, url: entry.url });
          else if ((entry.level ?? 0) >= 50) out(`  !! daemon: ${entry.msg}`);
        } catch {
          // not a log line
        }
      }
    });
  });
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-telemetry-claude-demo-'));
let daemon: ChildProcess | undefined;
let api: FakeAnthropic | undefined;
let runningClaude: number | undefined;
let stopping: Promise<void> | undefined;

function stop(): Promise<void> {
  stopping ??= (async () => {
    killClaude(runningClaude);
    await api?.close();
    if (daemon !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((resolve) => daemon!.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(root, { recursive: true, force: true });
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    out('\nStopping: daemon stopped, temp dirs removed.');
    void stop().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  out(`oak-telemetry with Claude Code, live: the real claude CLI (${claudeBin}) against a fake Anthropic API on loopback`);
  out(`Temp dirs (removed on exit): ${root}\n`);
  const project = createClaudeProject(path.join(root, 'claude'), DEMO_AGENTS);
  const telemetry = path.join(project.root, 'telemetry');
  out(`$ oak-telemetry init claude-code --project ${project.root} --dir ${telemetry}`);
  const init = spawnSync(process.execPath, [cli, 'init', 'claude-code', '--project', project.root, '--dir', telemetry], { cwd: project.root, env: demoEnv(), encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`init claude-code failed (${init.status}): ${init.stderr}`);
  out(init.stdout.trimEnd().replace(/^/gm, '  '));

  const started = await startDaemon(telemetry);
  daemon = started.daemon;
  out(`\n$ oak-telemetry daemon --dir ${telemetry} --create-dir --http 127.0.0.1:0`);
  out(`\n  >>> Live dashboard: ${started.url}   (API under ${started.url}api/v1/) <<<\n`);

  api = await startFakeAnthropic(demoScript);
  for (const [i, prompt] of DEMO_PROMPTS.slice(0, promptCount).entries()) {
    if (i > 0 && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    out(`[${i + 1}/${promptCount}] claude -p "${prompt.text}": main -> ${describeDelegations(prompt.delegations)}`);
    const run = await runClaude(project, { apiUrl: api.url, prompt: prompt.text, bin: claudeBin, onSpawn: (pid) => (runningClaude = pid) });
    runningClaude = undefined;
    if (stopping !== undefined) return;
    if (run.code !== 0) out(`      claude exited ${run.code ?? run.signal}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`);
    const caughtUp = await waitForDaemon(started.url, telemetry);
    out(`      ${(run.ms / 1000).toFixed(1)} s  ${formatFigures(await readFigures(started.url))}${caughtUp ? '' : '  (the daemon has not read everything yet)'}`);
  }
  out(`\nThe daemon keeps serving ${started.url} until Ctrl-C. Ask it from a shell: npx oak-telemetry report --dir ${telemetry}`);
}

try {
  await main();
} catch (error) {
  // Ctrl-C mid-prompt stops the daemon under a request; that is no failure.
  if (stopping !== undefined) await new Promise(() => undefined);
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop();
  process.exit(1);
}
