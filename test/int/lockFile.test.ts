import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { CommandFailed } from '../../src/errors.js';
import { acquireLock, LOCK_FILE_NAME, type LockHandle } from '../../src/io/lockFile.js';
import { ROOT } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const builtLock = path.join(ROOT, 'dist/src/io/lockFile.js');

let tmp: string;
let stateDir: string;
let lockPath: string;
const handles: LockHandle[] = [];
const children: ChildProcess[] = [];

// The locks are released and their holders killed before their dir goes.
const dirs = tempDirsPerTest(() => {
  for (const h of handles.splice(0)) h.release();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

beforeEach(() => {
  tmp = dirs.make('oak-lock-');
  stateDir = path.join(tmp, 'state', 'nested'); // created by acquireLock itself
  lockPath = path.join(stateDir, LOCK_FILE_NAME);
});

function acquire(): LockHandle {
  const handle = acquireLock(stateDir);
  handles.push(handle);
  return handle;
}

function acquireError(): CommandFailed {
  try {
    acquire();
  } catch (err) {
    expect(err).toBeInstanceOf(CommandFailed);
    return err as CommandFailed;
  }
  throw new Error('expected acquireLock to fail');
}

function writeLock(content: string | object): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(lockPath, typeof content === 'string' ? content : JSON.stringify(content));
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** A pid that certainly belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exited(child);
  expect(child.pid).toBeTypeOf('number');
  return child.pid as number;
}

function lockLeftovers(): string[] {
  return fs.readdirSync(stateDir).filter((name) => name !== LOCK_FILE_NAME);
}

describe('acquireLock', () => {
  it('creates the state dir and a lock holding our pid, hostname and start time', () => {
    const handle = acquire();
    expect(handle.path).toBe(lockPath);
    const record = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
    expect(record).toEqual({ pid: process.pid, hostname: os.hostname(), startedAt: handle.owner.startedAt });
    expect(Number.isNaN(Date.parse(record.startedAt))).toBe(false);
  });

  it('refuses a second acquire while held, in the same process', () => {
    acquire();
    const err = acquireError();
    expect(err.message).toContain(String(process.pid));
    expect(err.message).toContain(lockPath);
    expect(err.exitCode).toBe(1);
  });

  it('release removes the file; acquiring again then works; release is idempotent', () => {
    const first = acquire();
    first.release();
    expect(fs.existsSync(lockPath)).toBe(false);
    first.release();
    acquire();
    expect(fs.existsSync(lockPath)).toBe(true);
  });

  it('release leaves a lock that is no longer ours', () => {
    const handle = acquire();
    const someoneElse = JSON.stringify({ pid: 999_999, hostname: os.hostname(), startedAt: new Date().toISOString() });
    fs.writeFileSync(lockPath, someoneElse);
    handle.release();
    expect(fs.readFileSync(lockPath, 'utf8')).toBe(someoneElse);
  });

  it('takes over a lock whose pid is dead', async () => {
    const pid = await deadPid();
    writeLock({ pid, hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z' });
    const handle = acquire();
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    expect(handle.owner.pid).toBe(process.pid);
    expect(lockLeftovers()).toEqual([]);
  });

  it.each([
    ['not JSON', 'garbage\u0000\u00ff'],
    ['JSON without a pid', '{"hostname":"h"}'],
    ['pid 0 (would address our process group)', JSON.stringify({ pid: 0, hostname: os.hostname(), startedAt: 'x' })],
    ['negative pid', JSON.stringify({ pid: -1, hostname: os.hostname(), startedAt: 'x' })],
    ['a JSON array', '[1,2]'],
  ])('takes over a garbage lock: %s', (_name, content) => {
    writeLock(content);
    acquire();
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    expect(lockLeftovers()).toEqual([]);
  });

  it('takes over a lock naming our own pid that this process does not hold (a restarted container)', () => {
    writeLock({ pid: process.pid, hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z' });
    const handle = acquire();
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).startedAt).toBe(handle.owner.startedAt);
  });

  it('respects an empty lock just created (a daemon between open and write), takes over an old one', () => {
    writeLock('');
    expect(acquireError().message).toContain('being created');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath, old, old);
    acquire();
  });

  it('respects a lock from another host, naming pid and host', () => {
    writeLock({ pid: 4242, hostname: 'elsewhere.example', startedAt: '2024-01-01T00:00:00.000Z' });
    const err = acquireError();
    expect(err.message).toContain('pid 4242');
    expect(err.message).toContain('elsewhere.example');
    expect(err.message).toContain(lockPath);
  });

  it('does not take over while another process is taking over (fresh guard); clears an abandoned guard', async () => {
    writeLock({ pid: await deadPid(), hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z' });
    const guard = `${lockPath}.takeover`;
    fs.writeFileSync(guard, '{}');
    expect(acquireError().message).toContain('being taken over by another process');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(guard, old, old); // its process died mid-takeover
    acquire();
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    expect(lockLeftovers()).toEqual([]);
  });

  it('fails with CommandFailed when the lock path cannot be a lock file (a directory)', () => {
    fs.mkdirSync(lockPath, { recursive: true });
    expect(acquireError().message).toContain(`cannot remove stale lock ${lockPath}`);
  });

  it('counts a live pid we may not signal (EPERM) as alive', async (ctx) => {
    writeLock({ pid: 1, hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z' });
    if (process.getuid?.() !== 0) {
      expect(acquireError().message).toContain('pid 1,');
      return;
    }
    // The unprivileged child must be able to load the built module: a checkout inside a
    // private directory (a 0700 mktemp dir) is out of its reach, and then nothing is tested.
    const reach = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(builtLock)})`], { uid: 65534, gid: 65534 });
    if (reach.status !== 0) ctx.skip(`uid 65534 cannot read ${builtLock}`);
    // As root, kill(1, 0) succeeds; ask from an unprivileged child so that it fails with EPERM.
    fs.chmodSync(tmp, 0o777);
    for (const d of [path.dirname(stateDir), stateDir]) fs.chmodSync(d, 0o777);
    const script = `
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(builtLock).href)});
      try { process.kill(1, 0); console.log('not EPERM'); } catch (e) { console.log(e.code); }
      try { acquireLock(${JSON.stringify(stateDir)}); console.log('acquired'); } catch (e) { console.log(e.name + ': ' + e.message); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await exited(child);
    expect(out).toMatch(/^EPERM\nCommandFailed: another daemon \(pid 1,/);
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(1);
  });
});

describe('acquireLock against a real second process', () => {
  /** A node child that takes the lock through the built module and waits to be killed. */
  function spawnHolder(): Promise<ChildProcess> {
    const script = `
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(builtLock).href)});
      acquireLock(${JSON.stringify(stateDir)});
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1 << 30);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('locked')) resolve(child);
      });
      child.once('exit', (code, signal) => reject(new Error(`holder exited (${code ?? signal}) before locking: ${stderr}`)));
    });
  }

  it('refuses while the child holds the lock; takes over once the child is SIGKILLed', async () => {
    expect(fs.existsSync(builtLock), `${builtLock} missing: run "npm run build" first`).toBe(true);
    const child = await spawnHolder();

    const err = acquireError();
    expect(err.message).toContain(`pid ${child.pid}`);
    expect(err.message).toContain(lockPath);
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(child.pid);

    child.kill('SIGKILL');
    await exited(child);
    expect(fs.existsSync(lockPath)).toBe(true); // SIGKILL gave it no chance to clean up

    const handle = acquire();
    expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    handle.release();
    expect(fs.existsSync(lockPath)).toBe(false);
  });

  it('the child is refused while this process holds the lock', async () => {
    acquire();
    await expect(spawnHolder()).rejects.toThrow(new RegExp(`CommandFailed.*pid ${process.pid}`));
  });

  it('of several processes taking over the same stale lock at once, exactly one wins', async () => {
    const go = path.join(tmp, 'go');
    const script = `
      import fs from 'node:fs';
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(builtLock).href)});
      const [stateDir, go] = process.argv.slice(1);
      process.stdout.write('ready\\n');
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!fs.existsSync(go)) Atomics.wait(nap, 0, 0, 1);
      let result;
      try { acquireLock(stateDir); result = 'won'; } catch (e) { result = e.name; }
      process.stdout.write(result + '\\n');
      setInterval(() => {}, 1 << 30); // a winner stays alive (its lock valid) until the test kills it
    `;
    for (let round = 0; round < 3; round++) {
      fs.rmSync(go, { force: true });
      writeLock({ pid: await deadPid(), hostname: os.hostname(), startedAt: '2024-01-01T00:00:00.000Z' });
      const racers = Array.from({ length: 6 }, () => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, stateDir, go], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        let out = '';
        const lineAfterReady = (resolve: (line: string) => void) => {
          const m = /ready\n(\w+)\n/.exec(out);
          if (m) resolve(m[1] as string);
        };
        const ready = new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => (out += d.toString()).includes('ready\n') && resolve()));
        const result = new Promise<string>((resolve) => child.stdout?.on('data', () => lineAfterReady(resolve)));
        return { ready, result };
      });
      await Promise.all(racers.map((r) => r.ready));
      fs.writeFileSync(go, '');
      const results = await Promise.all(racers.map((r) => r.result));
      for (const c of children.splice(0)) {
        c.kill('SIGKILL');
        await exited(c);
      }
      expect(results.filter((r) => r === 'won'), results.join(',')).toHaveLength(1);
      expect(results.filter((r) => r !== 'won').every((r) => r === 'CommandFailed'), results.join(',')).toBe(true);
      expect(lockLeftovers()).toEqual([]);
    }
  });
});
