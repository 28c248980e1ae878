/**
 * A query that cannot be answered says why in one line on stderr, naming the path, and exits 1:
 * no stack trace, nothing on stdout. Real faults: --dir naming a file, a directory in place of
 * one of the three files, the same for `mcp` at start.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliEnv, expectOneLineFailure as failsInOneLine, ROOT as root } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const SEED = path.join(root, 'fixtures/parity/seed-demo');
const FILES = ['agent_invocations.jsonl', 'success_metrics.jsonl', 'workflow_events.jsonl'] as const;

const QUERIES: string[][] = [
  ['stats'],
  ['stats', '--json'],
  ['workflows'],
  ['overhead'],
  ['trends', 'someone'],
  ['ranking'],
  ['ranking', '--json'],
  ['best-agent', '--task', 'write tests'],
  ['open'],
  ['agents'],
  ['handoffs'],
  ['gaps', '--json'],
  ['estimates'],
  ['bottlenecks'],
  ['report'],
  ['report', '--json'],
  ['validate'],
];

const temp = tempDirsPerFile();
let work: string;
beforeAll(() => {
  work = temp.make('oak-clifailures-');
});

const expectOneLineFailure = (args: string[], line: RegExp): void => void failsInOneLine(args, line, { cwd: work });

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('query failures are one line on stderr and exit 1', () => {
  it('--dir naming a file, for every query', () => {
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'not a directory\n');
    for (const args of QUERIES) {
      for (const source of args[0] === 'validate' ? [[]] : [['--source', 'auto'], ['--source', 'replay']]) {
        expectOneLineFailure([...args, ...source, '--dir', file], new RegExp(`^oak-telemetry: ${escaped(file)}: not a directory`));
      }
    }
  });

  it.each(FILES)('a directory in place of %s', (name) => {
    const dir = path.join(work, `dir-for-${name}`);
    fs.mkdirSync(dir);
    for (const f of FILES) if (f !== name) fs.copyFileSync(path.join(SEED, f), path.join(dir, f));
    fs.mkdirSync(path.join(dir, name));
    // The line names the file itself, and says what it is.
    const line = new RegExp(`^oak-telemetry: cannot open ${escaped(path.join(dir, name))}: it is a directory \\(EISDIR\\)\n$`);
    for (const args of [['stats'], ['stats', '--json', '--source', 'replay'], ['ranking'], ['report'], ['handoffs', '--json'], ['validate']]) {
      expectOneLineFailure([...args, '--dir', dir], line);
    }
    // mcp reads the files before it serves: it must say so and exit, not print a stack.
    expectOneLineFailure(['mcp', '--dir', dir], line);
  });

  it('a FIFO in place of a file: refused at once (it used to block in open), one line naming it', () => {
    const dir = path.join(work, 'fifo-dir');
    fs.mkdirSync(dir);
    for (const f of FILES) fs.copyFileSync(path.join(SEED, f), path.join(dir, f));
    const fifo = path.join(dir, 'workflow_events.jsonl');
    fs.rmSync(fifo);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const line = new RegExp(`^oak-telemetry: cannot open ${escaped(fifo)}: it is a FIFO \\(named pipe\\), not a regular file \\(ENOTREG\\)\n$`);
    for (const args of [['stats'], ['stats', '--source', 'replay'], ['validate'], ['mcp']]) expectOneLineFailure([...args, '--dir', dir], line);
  });

  it('mcp on a directory that does not exist', () => {
    const dir = path.join(work, 'no-such-dir');
    expectOneLineFailure(['mcp', '--dir', dir], new RegExp(`^oak-telemetry: ${escaped(dir)}: no such telemetry directory\n`));
  });
});

describe('the long-running readers on a directory that does not exist', () => {
  it('daemon and ship refuse it in one line (exit 1) and create nothing: a mistyped --dir would follow nothing for weeks', () => {
    const dir = path.join(work, 'mistyped');
    const line = new RegExp(`^oak-telemetry: ${escaped(dir)}: no such telemetry directory \\(add --create-dir to create it`);
    expectOneLineFailure(['daemon', '--dir', dir, '--http', 'off'], line);
    expectOneLineFailure(['ship', '--once', '--dir', dir, '--nats', 'nats://127.0.0.1:1'], line);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it.each([
    ['--create-dir', ['--create-dir']],
    ['--otlp (the daemon then writes the dir, as receive does)', ['--otlp', '127.0.0.1:0']],
  ])('daemon %s creates it and follows it', async (name, flags) => {
    const dir = path.join(work, `created-${flags[0]}`, 'telemetry');
    const child = spawn(process.execPath, [CLI, 'daemon', '--dir', dir, ...flags, '--http', 'off'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('daemon ready')) resolve();
      });
      void exited.then((code) => reject(new Error(`the daemon exited (${code}) before it was ready: ${out}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });
});
