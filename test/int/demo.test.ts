/**
 * `npm run demo` in its short form (--seconds 2): once the simulated agents are done, the
 * daemon keeps serving the dashboard it printed (it used to die with the demo), until SIGINT
 * as from Ctrl-C; then the demo exits 0, says how to serve the files again, and leaves them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { cliEnv, expectBuilt, ROOT } from '../support/cliRunner.js';

const DEMO = path.join(ROOT, 'dist/scripts/demo.js');
let demo: ChildProcess | undefined;
let dir: string | undefined;

beforeAll(() => expectBuilt());
afterEach(async () => {
  if (demo !== undefined && demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((resolve) => demo!.once('exit', resolve));
    demo.kill('SIGINT');
    await exited;
  }
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

it('serves the dashboard after the agents are done, until SIGINT; the files stay', async () => {
  const child = spawn(process.execPath, [DEMO, '--seconds', '2'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  demo = child;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let out = '';
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) {
          child.stdout.off('data', check);
          resolve(m);
        }
      };
      child.stdout.on('data', check);
      check();
      void exited.then((code) => reject(new Error(`the demo exited (${code}) early: ${out}`)));
    });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  dir = (await waitFor(/telemetry in (\S+)\n/))[1];
  const url = (await waitFor(/the daemon keeps serving (\S+) until Ctrl-C/))[1] as string;
  const stats = await fetch(new URL('api/v1/stats', url));
  expect(stats.status).toBe(200);
  expect(((await stats.json()) as { total_invocations: number }).total_invocations).toBeGreaterThan(0);
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(out).toContain(`serve it again: npx oak-telemetry daemon --dir ${dir}`);
  expect(fs.existsSync(path.join(dir as string, 'agent_invocations.jsonl'))).toBe(true);
  await expect(fetch(new URL('api/v1/stats', url))).rejects.toThrow();
}, 60_000);
