/**
 * `npm run demo:claude-code` in its short form (two prompts, no pause): it prints the dashboard
 * URL, one line of figures per prompt, and the last line is what the live daemon answers (and
 * what the two prompts make by hand: three subagent runs, two workflows, three hand-offs); then
 * it serves until SIGINT (Ctrl-C), exits 0 and leaves no temp dir behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, expectBuilt, ROOT } from '../support/cliRunner.js';
import { claudeMissing } from '../support/claudeCode.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const DEMO = path.join(ROOT, 'dist/scripts/demoClaudeCode.js');

let demo: ChildProcess | undefined;
// A demo left running by a failed test gets SIGINT, as from Ctrl-C: SIGKILL would orphan its
// daemon, which would go on writing into the temp dir after it is removed.
const temp = tempDirsPerTest(async () => {
  const child = demo;
  demo = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
});
beforeAll(() => expectBuilt());

interface Figures {
  invocations: number;
  workflows: number;
  workflowSuccess: string;
  handoffs: number;
  agents: Record<string, string>;
}

/** A figures line as the demo prints it: `invocations 3 · workflows 2, 100% ok · hand-offs 3 · backend-architect 1 run 100% · ...`. */
function parseFigures(line: string): Figures {
  const parts = line.trim().replace(/^[\d.]+ s\s+/, '').split(' · ');
  const [inv, wf, ho, ...agents] = parts;
  const workflows = /^workflows (\d+), (\S+) ok$/.exec(wf ?? '');
  expect(workflows, line).not.toBeNull();
  return {
    invocations: Number(/^invocations (\d+)$/.exec(inv ?? '')?.[1]),
    workflows: Number(workflows![1]),
    workflowSuccess: workflows![2]!,
    handoffs: Number(/^hand-offs (\d+)$/.exec(ho ?? '')?.[1]),
    agents: Object.fromEntries(agents.map((a) => {
      const m = /^(\S+) (\d+ runs?) (\S+)$/.exec(a);
      expect(m, a).not.toBeNull();
      return [m![1]!, `${m![2]} ${m![3]}`];
    })),
  };
}

async function get<T>(url: string, route: string): Promise<T> {
  const response = await fetch(new URL(route, url));
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

const pct = (rate: number | null): string => (rate === null ? '-' : `${Math.round(rate * 100)}%`);

/** The daemon's answers in the printed line's terms, computed here from the raw documents. */
async function daemonFigures(url: string): Promise<Figures> {
  const stats = await get<{ total_invocations: number; agents: Record<string, { invocation_count: number; success_rate: number | null }> }>(url, 'api/v1/stats');
  const workflows = await get<{ total_workflows: number; success_rate: number | null }>(url, 'api/v1/workflows');
  const handoffs = await get<{ handoffs: number }>(url, 'api/v1/handoffs');
  return {
    invocations: stats.total_invocations,
    workflows: workflows.total_workflows,
    workflowSuccess: pct(workflows.success_rate),
    handoffs: handoffs.handoffs,
    agents: Object.fromEntries(Object.entries(stats.agents).map(([name, a]) => [name, `${a.invocation_count} run${a.invocation_count === 1 ? '' : 's'} ${pct(a.success_rate)}`])),
  };
}

describe.skipIf(claudeMissing !== undefined)(`npm run demo:claude-code${claudeMissing ? ` (skipped: ${claudeMissing})` : ''}`, () => {
  it('prints the URL and figures equal to the live daemon, serves until SIGINT, then cleans up', async () => {
    const child = spawn(process.execPath, [DEMO, '--prompts', '2', '--pause-ms', '0'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    demo = child;
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
        if (stdout.includes('until Ctrl-C')) resolve();
      });
      void exited.then((code) => reject(new Error(`the demo exited (${code}) before serving\n${stdout}\n${stderr}`)));
    });

    const root = /Temp dirs \(removed on exit\): (\S+)/.exec(stdout)?.[1];
    expect(root, stdout).toBeDefined();
    temp.track(root!); // removed by the test too, should the demo not
    const url = /Live dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1];
    expect(url, stdout).toBeDefined();

    const figureLines = stdout.split('\n').filter((l) => l.includes(' · hand-offs '));
    expect(figureLines, stdout).toHaveLength(2);
    const printed = figureLines.map(parseFigures);
    expect(printed[0]).toEqual({ invocations: 1, workflows: 1, workflowSuccess: '100%', handoffs: 1, agents: { 'backend-architect': '1 run 100%' } });
    const expected = {
      invocations: 3,
      workflows: 2,
      workflowSuccess: '100%',
      handoffs: 3,
      agents: { 'backend-architect': '1 run 100%', 'frontend-developer': '1 run 100%', 'qa-engineer': '1 run 100%' },
    };
    expect(printed[1]).toEqual(expected);
    expect(await daemonFigures(url!)).toEqual(printed[1]);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(fs.existsSync(root!), `${root} left behind`).toBe(false);
  });

  it('without the claude binary: one line, exit 1', async () => {
    const child = spawn(process.execPath, [DEMO, '--claude', '/nonexistent/claude'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    demo = child;
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^The claude CLI is not installed at \/nonexistent\/claude.*\n$/);
  });
});
