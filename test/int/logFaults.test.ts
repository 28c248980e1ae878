/**
 * `oak-telemetry log` on a bad day: a full disk, a read-only or unwritable dir, a --dir that is
 * a file, a record longer than the readers accept. Each is one line on stderr naming the path
 * and the problem, exit 1, and never a lost record after the fault clears.
 * Real faults: a 64 KiB tmpfs, a read-only bind mount, an unprivileged user (needs root).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import { type CliOptions, type CliRun, runCli } from '../support/cliRunner.js';
import { AS_NOBODY, fillUp, mountSmallTmpfs, nobodyUnavailable, type SmallTmpfs, tmpfsUnavailable } from '../support/smallTmpfs.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const INVOCATIONS = SOURCE_FILES.invocations;

function logInvocation(dir: string, agent: string, task = 'a task', extra: readonly string[] = [], options: CliOptions = {}): CliRun {
  return runCli(['log', 'invocation', '--dir', dir, '--agent', agent, '--agent-type', 'dev', '--task', task, ...extra], options);
}

/** One line on stderr, no stack trace. */
function expectOneLine(result: CliRun, ...patterns: RegExp[]): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
}

const dirs = tempDirsPerTest();
let tmp: string;
beforeEach(() => {
  tmp = dirs.make('oak-logfaults-');
});

describe.skipIf(tmpfsUnavailable !== null)('log on a full disk (a real 64 KiB tmpfs)', () => {
  let fsys: SmallTmpfs;
  beforeEach(() => {
    fsys = mountSmallTmpfs(64 * 1024);
  });
  afterEach(() => {
    fsys.dispose();
  });

  it('a torn record exits 1; after the disk grows the next record survives and the fragment is one bad line', () => {
    const dir = fsys.dir;
    expect(logInvocation(dir, 'before').code).toBe(0);
    const filler = fillUp(dir);
    // Room for 8 KiB of a 20 KiB record: the kernel writes what fits, a torn line.
    fs.truncateSync(filler, fs.statSync(filler).size - 8192);
    const sizeBefore = fs.statSync(path.join(dir, INVOCATIONS)).size;

    const torn = logInvocation(dir, 'torn', 'x'.repeat(20 * 1024));
    expectOneLine(torn, new RegExp(INVOCATIONS), /short write|no space/);
    const text = fs.readFileSync(path.join(dir, INVOCATIONS), 'utf8');
    expect(text.length, 'the fault must really tear a line').toBeGreaterThan(sizeBefore);
    expect(text.endsWith('\n')).toBe(false);

    // Still full: nothing fits, an error again.
    expectOneLine(logInvocation(dir, 'no-room'), /no space left on device \(ENOSPC\)/);

    fsys.resize(1024 * 1024);
    const after = logInvocation(dir, 'after');
    expect(after.code, after.stderr).toBe(0);

    const rejected: string[] = [];
    const ingest = replayDirectory(dir, { onRejection: (rejection) => rejected.push(rejection.reason) });
    expect(ingest.totals.perSource.invocations).toMatchObject({ applied: 2, rejected: 1 });
    expect(rejected).toHaveLength(1);
    const agents = fs
      .readFileSync(path.join(dir, INVOCATIONS), 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          return [(JSON.parse(line) as { agent_name: string }).agent_name];
        } catch {
          return [];
        }
      });
    expect(agents).toEqual(['before', 'after']);
  });
});

describe('log where it cannot write', () => {
  it.skipIf(tmpfsUnavailable !== null)('a read-only mount: one line naming the file, EROFS', () => {
    const dir = path.join(tmp, 'ro');
    fs.mkdirSync(dir);
    execFileSync('mount', ['--bind', dir, dir]);
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
      expectOneLine(logInvocation(dir, 'a'), new RegExp(path.join(dir, INVOCATIONS)), /read-only file system \(EROFS\)/);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it.skipIf(nobodyUnavailable !== null)('a dir the user may not write (chmod 500, as nobody): one line, EACCES', () => {
    fs.chmodSync(tmp, 0o755);
    const dir = path.join(tmp, 'locked');
    fs.mkdirSync(dir);
    fs.chownSync(dir, 65534, 65534);
    fs.chmodSync(dir, 0o500);
    expectOneLine(logInvocation(dir, 'a', 'a task', [], { prefix: AS_NOBODY }), new RegExp(path.join(dir, INVOCATIONS)), /permission denied \(EACCES\)/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('--dir pointing at a file: one line saying so, for a new record and for an update', () => {
    const file = path.join(tmp, 'not-a-dir');
    fs.writeFileSync(file, 'hello\n');
    expectOneLine(logInvocation(file, 'a'), new RegExp(`${file} is not a directory`));
    expectOneLine(
      runCli(['log', 'update', '--dir', file, '--invocation-id', 'x', '--duration', '1', '--status', 'success']),
      new RegExp(`${file} is not a directory`),
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('hello\n');
  });
});

describe('log with a record longer than the readers accept', () => {
  it('refuses it before writing: exit 1, one line naming the limit and the size', () => {
    const dir = path.join(tmp, 'telemetry');
    expect(logInvocation(dir, 'small', 'short', ['--max-line-bytes', '2000']).code).toBe(0);
    const result = logInvocation(dir, 'big', 'y'.repeat(3000), ['--max-line-bytes', '2000']);
    expectOneLine(result, /limit of 2000 bytes/, /is \d{4} bytes/, new RegExp(INVOCATIONS));
    expect(fs.readFileSync(path.join(dir, INVOCATIONS), 'utf8').split('\n')).toHaveLength(2);
  });

  it('takes the limit from $OAK_TELEMETRY_MAX_LINE_BYTES, as the daemon does', () => {
    const dir = path.join(tmp, 'telemetry');
    expectOneLine(logInvocation(dir, 'big', 'y'.repeat(3000), [], { env: { OAK_TELEMETRY_MAX_LINE_BYTES: '2000' } }), /limit of 2000 bytes/);
    expect(fs.existsSync(path.join(dir, INVOCATIONS))).toBe(false);
  });

  it('refuses a bad limit as a usage error', () => {
    const result = logInvocation(path.join(tmp, 'telemetry'), 'a', 'a task', ['--max-line-bytes', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--max-line-bytes must be a whole number >= 1/);
  });
});

for (const [what, why] of [
  ['full-disk and read-only-mount', tmpfsUnavailable],
  ['unprivileged-user', nobodyUnavailable],
] as const) {
  if (why !== null) console.warn(`logFaults: ${what} tests skipped: ${why}`);
}
