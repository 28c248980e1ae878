import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backgroundSession, failingSession, nestedSession } from '../support/capturedHookSessions.js';
import { CLI, cliEnv, expectBuilt } from '../support/cliRunner.js';
import { TempDirs } from '../support/tempDirs.js';

const temp = new TempDirs();
beforeAll(expectBuilt);

interface Dirs {
  dir: string;
  stateDir: string;
}

function dirsIn(root: string): Dirs {
  return { dir: path.join(root, 'telemetry'), stateDir: path.join(root, 'state') };
}

function hookSync(payload: unknown, d: Dirs): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, 'hook', '--dir', d.dir, '--state-dir', d.stateDir], { input: JSON.stringify(payload), env: cliEnv(), encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

function hookAsync(payload: unknown, d: Dirs): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'hook', '--dir', d.dir, '--state-dir', d.stateDir], { env: cliEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
    child.stdin.end(JSON.stringify(payload));
  });
}

function lines(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The records as the readers see them (later invocation and workflow_complete lines replace earlier ones), times left out. */
function finalRecords(d: Dirs): string[] {
  const out = new Map<string, string>();
  const strip = (r: Record<string, unknown>) => JSON.stringify({ ...r, timestamp: undefined, duration_seconds: undefined });
  for (const r of lines(path.join(d.dir, 'agent_invocations.jsonl'))) out.set(`inv:${String(r.invocation_id)}`, strip(r));
  let n = 0;
  for (const r of lines(path.join(d.dir, 'workflow_events.jsonl'))) {
    const agents = Array.isArray(r.agents_executed) ? [...(r.agents_executed as string[])].sort() : undefined;
    out.set(r.event === 'agent_handoff' ? `h:${n++}` : `${String(r.event)}:${String(r.workflow_id)}`, strip({ ...r, agents_executed: agents }));
  }
  // Hand-offs are a multiset: compare them sorted, not by arrival.
  return [...out].map(([k, v]) => (k.startsWith('h:') ? `h:${v}` : `${k}=${v}`)).sort();
}

/**
 * What must precede each payload in the real CLI (index -> indices): an agent's own hooks run one
 * after another and PreToolUse is awaited before the tool runs; hooks of different agents run
 * concurrently; a task notification comes after the subagent ended; SessionEnd is last.
 */
const ORDERS: Array<{ name: string; session: () => Record<string, unknown>[]; after: number[][] }> = [
  {
    name: 'background subagent',
    session: backgroundSession,
    after: [[], [0], [1], [2], [2], [3], [5], [4], [6], [7, 8], [9], [10, 8]],
  },
  {
    // StopFailure is not awaited: it may come after the main agent's Stop.
    name: 'failing subagent',
    session: failingSession,
    after: [[], [0], [1], [2], [2], [4], [3, 5]],
  },
  {
    name: 'nested delegation',
    session: nestedSession,
    after: [[], [0], [1], [2], [3], [4], [3], [5, 6], [7], [8], [9]],
  },
];

async function runConcurrently(payloads: Record<string, unknown>[], after: number[][], d: Dirs, width: number, random: () => number): Promise<void> {
  const done = new Set<number>();
  const started = new Set<number>();
  const running = new Set<Promise<void>>();
  while (done.size < payloads.length) {
    const ready = payloads.map((_, i) => i).filter((i) => !started.has(i) && after[i]!.every((j) => done.has(j)));
    while (ready.length > 0 && running.size < width) {
      const i = ready.splice(Math.floor(random() * ready.length), 1)[0]!;
      started.add(i);
      const p: Promise<void> = hookAsync(payloads[i], d).then((r) => {
        expect(r).toEqual({ status: 0, stdout: '' });
        done.add(i);
        running.delete(p);
      });
      running.add(p);
    }
    await Promise.race(running);
  }
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('oak-telemetry hook as a process', () => {
  it.each(ORDERS)('$name: concurrent hook processes in random orders write the same records as in order', async ({ session, after }) => {
    const payloads = session();
    const inOrder = dirsIn(temp.make());
    for (const p of payloads) expect(hookSync(p, inOrder)).toEqual({ status: 0, stdout: '' });
    const expected = finalRecords(inOrder);
    expect(expected.length).toBeGreaterThan(3);
    for (let seed = 1; seed <= 4; seed++) {
      const d = dirsIn(temp.make());
      await runConcurrently(payloads, after, d, 4, seeded(seed));
      expect(finalRecords(d), `seed ${seed}`).toEqual(expected);
      // SessionEnd came last: nothing of the session is left in the state dir.
      expect(fs.readdirSync(path.join(d.stateDir, 'claude-code'))).toEqual([]);
    }
  }, 120_000);

  it('an unwritable telemetry dir: exit 0, nothing on stdout, the error logged, the records written once the dir is back', () => {
    const root = temp.make();
    const d = dirsIn(root);
    fs.writeFileSync(d.dir, 'a file where the telemetry dir should be');
    const [start, prompt, pre, ...rest] = backgroundSession();
    for (const p of [start, prompt, pre]) expect(hookSync(p, d)).toEqual({ status: 0, stdout: '' });
    const errors = lines(path.join(d.stateDir, 'hook-errors.jsonl'));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ event: 'UserPromptSubmit', session_id: 'b8489706-cbb6-4207-9b8f-88b6dde51657', error: expect.stringContaining('cannot append') });
    fs.rmSync(d.dir);
    for (const p of rest) hookSync(p, d);
    const events = lines(path.join(d.dir, 'workflow_events.jsonl')).map((r) => r.event);
    expect(events).toEqual(['workflow_start', 'agent_handoff', 'workflow_complete']);
  });

  it('an unknown or garbled payload: exit 0, nothing on stdout, logged', () => {
    const d = dirsIn(temp.make());
    expect(hookSync('not a payload' as unknown, d)).toEqual({ status: 0, stdout: '' });
    const r = spawnSync(process.execPath, [CLI, 'hook', '--dir', d.dir, '--state-dir', d.stateDir], { input: '{oops', env: cliEnv(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const errors = lines(path.join(d.stateDir, 'hook-errors.jsonl'));
    expect(errors.map((e) => e.error)).toEqual([expect.stringContaining('payload rejected'), expect.stringContaining('not JSON')]);
    expect(fs.existsSync(d.dir)).toBe(false);
  });

  it('hook --help prints help', () => {
    const r = spawnSync(process.execPath, [CLI, 'hook', '--help'], { env: cliEnv(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: oak-telemetry hook');
  });
});
