import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backgroundSession, failingSession, nestedSession } from '../support/capturedHookSessions.js';
import { CLI, cliEnv, expectBuilt } from '../support/cliRunner.js';
import { MAX_PAYLOAD_BYTES } from '../../src/intake/claudeCode/hookStdin.js';
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

/**
 * Runs argv[1:] with O_NONBLOCK on its stdin (a spawn from Node clears it; another parent may
 * not), then prints its exit status and the CPU time it used (the hook prints nothing itself).
 */
const NON_BLOCKING_STDIN = `
import fcntl, json, os, sys
pid = os.fork()
if pid == 0:
    fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "cpu_seconds": usage.ru_utime + usage.ru_stime}))
`;

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

  it('a payload written slowly in pieces to a non-blocking stdin is read whole, waiting without spinning', async () => {
    const d = dirsIn(temp.make());
    const child = spawn('python3', ['-c', NON_BLOCKING_STDIN, process.execPath, CLI, 'hook', '--dir', d.dir, '--state-dir', d.stateDir], { env: cliEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const [, prompt] = backgroundSession();
    const text = JSON.stringify(prompt);
    const pieces = 4;
    const step = Math.ceil(text.length / pieces);
    for (let i = 0; i < pieces; i++) {
      // The gaps are the input's shape (a slow writer), not a wait for a result.
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.stdin.write(text.slice(i * step, (i + 1) * step));
    }
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(lines(path.join(d.stateDir, 'hook-errors.jsonl'))).toEqual([]);
    expect(lines(path.join(d.dir, 'workflow_events.jsonl')).map((r) => r.event)).toEqual(['workflow_start']);
    const cpu = JSON.parse(out) as { status: number; cpu_seconds: number };
    expect(cpu.status).toBe(0);
    // Spinning on EAGAIN through the 1.2 s of gaps would burn about that much CPU; a whole hook takes ~0.15 s.
    expect(cpu.cpu_seconds).toBeLessThan(0.6);
  });

  it('a payload over the bound is not read: exit 0, nothing on stdout, logged with its event and session', async () => {
    const d = dirsIn(temp.make());
    const big = JSON.stringify({ session_id: 's-big', transcript_path: '/t', hook_event_name: 'PostToolUse', tool_name: 'Agent', tool_response: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    const r = await new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'hook', '--dir', d.dir, '--state-dir', d.stateDir], { env: cliEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      // The hook stops reading at the bound and exits: the rest of our write meets a closed pipe.
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout }));
      child.stdin.end(big);
    });
    expect(r).toEqual({ status: 0, stdout: '' });
    expect(lines(path.join(d.stateDir, 'hook-errors.jsonl'))).toEqual([
      expect.objectContaining({ event: 'PostToolUse', session_id: 's-big', error: `payload over ${MAX_PAYLOAD_BYTES} bytes: not read, no records written` }),
    ]);
    expect(fs.existsSync(d.dir)).toBe(false);
  });

  it('hook --help prints help', () => {
    const r = spawnSync(process.execPath, [CLI, 'hook', '--help'], { env: cliEnv(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: oak-telemetry hook');
  });
});
