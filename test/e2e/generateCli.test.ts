/**
 * `oak-telemetry generate` as a process: writes the three files, same flags give the same
 * bytes, the seed changes them, existing telemetry is kept unless --force, bad flags exit 2.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DAYS, DEFAULT_SEED } from '../../src/generate/generateTelemetry.js';
import { runCli } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const FILES = ['agent_invocations.jsonl', 'success_metrics.jsonl', 'workflow_events.jsonl'] as const;

const temp = tempDirsPerFile();
let work: string;
beforeAll(() => {
  work = temp.make('oak-generatecli-');
});

const run = (args: string[]) => runCli(args, { cwd: work });

function hashes(dir: string): string[] {
  return FILES.map((f) => createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex'));
}

let n = 0;
const freshDir = () => path.join(work, `out-${++n}`);

describe('oak-telemetry generate', () => {
  it('writes the three files and reports their lines and bytes', () => {
    const dir = freshDir();
    const r = run(['generate', '--out', dir, '--workflows', '40']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    for (const f of FILES) {
      const size = fs.statSync(path.join(dir, f)).size;
      expect(size).toBeGreaterThan(0);
      const lines = fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
      expect(r.stdout).toContain(`${path.join(dir, f)}: ${lines.length} lines, ${size} bytes`);
    }
    const starts = fs
      .readFileSync(path.join(dir, 'workflow_events.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .filter((l) => JSON.parse(l).event === 'workflow_start');
    expect(starts).toHaveLength(40);

    const check = run(['validate', '--dir', dir]);
    expect(check.code, check.stdout).toBe(0);
    const stats = run(['stats', '--dir', dir, '--source', 'replay', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout).total_invocations).toBeGreaterThan(40 * 2 - 10);
  });

  it('gives the same bytes for the same flags, other bytes for another --seed', () => {
    const a = freshDir();
    const b = freshDir();
    const c = freshDir();
    const now = ['--now', '2026-11-01T00:00:00Z'];
    expect(run(['generate', '--out', a, '--workflows', '200', '--seed', '9', ...now]).code).toBe(0);
    expect(run(['generate', '--out', b, '--workflows', '200', '--seed', '9', ...now]).code).toBe(0);
    expect(run(['generate', '--out', c, '--workflows', '200', '--seed', '10', ...now]).code).toBe(0);
    expect(hashes(b)).toEqual(hashes(a));
    const other = hashes(c);
    for (let i = 0; i < FILES.length; i++) expect(other[i]).not.toBe(hashes(a)[i]);
  });

  it('dates everything within --days before --now', () => {
    const dir = freshDir();
    expect(run(['generate', '--out', dir, '--workflows', '100', '--days', '2.5', '--now', '2027-03-01T12:00:00Z']).code).toBe(0);
    for (const f of FILES) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n')) {
        const t = Date.parse(JSON.parse(line).timestamp);
        expect(t).toBeLessThanOrEqual(Date.parse('2027-03-01T12:00:00Z'));
        expect(t).toBeGreaterThanOrEqual(Date.parse('2027-02-27T00:00:00Z'));
      }
    }
  });

  it('without --now, dates the data up to the clock and says which --now writes it again', () => {
    const dir = freshDir();
    const before = Date.now();
    const r = run(['generate', '--out', dir, '--workflows', '300', '--seed', '4', '--days', '3']);
    expect(r.code, r.stderr).toBe(0);
    const stamped = /dated up to (\S+); --now \1 writes the same bytes again/.exec(r.stdout);
    expect(stamped, r.stdout).not.toBeNull();
    const now = Date.parse(stamped?.[1] as string);
    expect(now).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(now).toBeLessThanOrEqual(Date.now());
    const times = FILES.flatMap((f) =>
      fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n').map((line) => Date.parse(JSON.parse(line).timestamp)),
    );
    expect(Math.max(...times)).toBeLessThanOrEqual(now);
    // 300 workflows over 3 days: the latest starts within hours of now, not weeks before it.
    expect(Math.max(...times)).toBeGreaterThan(now - 12 * 3600_000);

    const again = freshDir();
    expect(run(['generate', '--out', again, '--workflows', '300', '--seed', '4', '--days', '3', '--now', stamped?.[1] as string]).code).toBe(0);
    expect(hashes(again)).toEqual(hashes(dir));
  });

  it('keeps existing telemetry unless --force', () => {
    const dir = freshDir();
    expect(run(['generate', '--out', dir, '--workflows', '20']).code).toBe(0);
    const before = hashes(dir);
    const refused = run(['generate', '--out', dir, '--workflows', '20', '--seed', '2']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds telemetry.*--force/);
    expect(hashes(dir)).toEqual(before);

    const forced = run(['generate', '--out', dir, '--workflows', '20', '--seed', '2', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(hashes(dir)).not.toEqual(before);

    // Empty files are not telemetry worth keeping.
    const empty = freshDir();
    fs.mkdirSync(empty);
    for (const f of FILES) fs.writeFileSync(path.join(empty, f), '');
    expect(run(['generate', '--out', empty, '--workflows', '5']).code).toBe(0);
  });

  it.each([
    [['--workflows', '10'], /--out/],
    [['--out', 'x'], /--workflows/],
    [['--out', 'x', '--workflows', 'many'], /--workflows must be a number/],
    [['--out', 'x', '--workflows', '-1'], /--workflows must be a whole number/],
    [['--out', 'x', '--workflows', '2.5'], /--workflows must be a whole number/],
    [['--out', 'x', '--workflows', '10', '--seed', '-3'], /--seed must be a whole number/],
    [['--out', 'x', '--workflows', '10', '--seed', '1e20'], /--seed must be a whole number/],
    [['--out', 'x', '--workflows', '10', '--days', '0'], /--days must be > 0/],
    [['--out', 'x', '--workflows', '10', '--days', 'week'], /--days must be a number/],
    [['--out', 'x', '--workflows', '10', '--now', 'yesterday'], /--now must be an ISO-8601 time/],
    [['--out', 'x', '--workflows', '10', '--bogus'], /unknown option/],
  ])('exits 2 for bad flags: %j', (args, message) => {
    const r = run(['generate', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(path.join(work, 'x'))).toBe(false);
  });

  it('exits 2 when --out is a file', () => {
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = run(['generate', '--out', file, '--workflows', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a directory/);
  });

  it('documents its flags and the generator defaults in --help', () => {
    const r = run(['generate', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' '); // commander wraps to the terminal width
    for (const flag of ['--out', '--workflows', '--seed', '--days', '--now', '--force']) expect(help).toContain(flag);
    expect(help).toContain(`default: ${DEFAULT_SEED})`);
    expect(help).toContain(`default: ${DEFAULT_DAYS})`);
    expect(help).toContain('default: the clock');
    expect(run(['--help']).stdout).toContain('generate');
  });
});
