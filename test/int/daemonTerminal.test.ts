/**
 * The daemon on a terminal (a real pseudo-terminal from util-linux `script`, 80 columns): one
 * short start block ending with the dashboard's address, an alert on one line, no line wider
 * than the terminal; Ctrl-C (the ETX byte typed into the terminal) stops it cleanly. Not on a
 * terminal, every line stays JSON (the harness-driven daemon tests parse them).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFailed } from 'vitest';
import { CLI, cliEnv, expectBuilt, ROOT } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const temp = tempDirsPerTest();
const noScript = spawnSync('script', ['--version']).status === 0 ? null : 'util-linux `script` is not installed';
const FIXTURE = path.join(ROOT, 'fixtures/parity/generated-150');
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

describe.skipIf(noScript !== null)(`the daemon on a terminal${noScript === null ? '' : ` (skipped: ${noScript})`}`, () => {
  it('prints a short start block with the dashboard address, alerts one line each, and stops on Ctrl-C', async () => {
    expectBuilt();
    const dir = temp.make('oak-tty-');
    for (const file of fs.readdirSync(FIXTURE)) if (file.endsWith('.jsonl')) fs.copyFileSync(path.join(FIXTURE, file), path.join(dir, file));
    const command = `stty cols 80; exec ${quote(process.execPath)} ${quote(CLI)} daemon --dir ${quote(dir)} --http 127.0.0.1:0`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...cliEnv(), NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const waitFor = (text: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!out.includes(text)) return;
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
        void exited.then((code) => reject(new Error(`exited (${code}) before "${text}": ${out}`)));
      });
    // A failed wait must not leave the daemon running: script ends its session (and the daemon) on SIGTERM.
    onTestFailed(() => void child.kill('SIGTERM'));
    await waitFor('Ctrl-C stops it');
    const start = out.split(/\r?\n/).filter((l) => l !== '');
    expect(start.length, out).toBeLessThanOrEqual(12);
    expect(start.filter((l) => l.length > 80), out).toEqual([]);
    expect(out).toMatch(/ {2}dashboard {2}http:\/\/127\.0\.0\.1:\d+\//);
    expect(out).not.toContain('{"level"');
    // generated-150 holds workflows left open for weeks: the alert lists them on one line.
    expect(start.filter((l) => /ALERT alert: open_workflow_too_long/.test(l))).toHaveLength(1);
    child.stdin.write('\x03');
    await waitFor('daemon stopped');
    expect(await exited).toBe(0);
  }, 30_000);
});
