/**
 * fixtures/adversarial through the CLI as a user runs it: every hostile line is reported by
 * `validate` with its file, line and reason, and the answers hold only the good lines' figures
 * (worked out by hand in the fixture's README), every number finite.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT as root, runCli } from '../support/cliRunner.js';

const DIR = path.join(root, 'fixtures/adversarial');

interface Rejected {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Json;

const run = (args: string[]) => runCli([...args, '--dir', DIR]);

function everyNumberFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(everyNumberFinite);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(everyNumberFinite);
  return true;
}

describe('fixtures/adversarial through the CLI', () => {
  it('validate --json reports each hostile line with its reason, and exits 1', () => {
    const r = run(['validate', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Rejected & { byteOffset: number });
    expect(lines.map(({ file, line, reason }) => ({ file, line, reason }))).toEqual(expected.rejected);
    // Each reason names its field and limit, never the value's bytes (a 100,000-character name).
    for (const line of lines) expect(line.reason.length).toBeLessThan(200);
  });

  it('the byte offsets point at the start of each reported line', () => {
    const lines = run(['validate', '--json']).stdout.trim().split('\n').map((line) => JSON.parse(line) as Rejected & { byteOffset: number });
    for (const { file, line, byteOffset } of lines) {
      const bytes = fs.readFileSync(path.join(DIR, file));
      const starts = [0];
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) starts.push(i + 1);
      expect(byteOffset, `${file}:${line}`).toBe(starts[line - 1]);
    }
  });

  const QUERIES: ReadonlyArray<readonly [string, string[]]> = [
    ['stats', ['stats']],
    ['workflows', ['workflows']],
    ['overhead', ['overhead']],
    ['estimates', ['estimates']],
    ['open', ['open', '--now', expected.now as string]],
  ];
  for (const [key, args] of QUERIES) {
    it(`${args.join(' ')} --json holds the good lines' figures only, every number finite, and says lines were skipped`, () => {
      const r = run([...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`skipped ${expected.rejected.length} bad lines`);
      const answer = JSON.parse(r.stdout) as Json;
      if (key === 'stats') delete answer.generated_at;
      expect(answer).toEqual(expected[key]);
      expect(everyNumberFinite(answer)).toBe(true);
    });
  }
});
