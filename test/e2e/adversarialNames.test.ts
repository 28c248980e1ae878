/**
 * Names that try to act on a terminal or break JSON (fixtures/adversarial-names): every query
 * prints valid UTF-8 with no control character but its own newlines, each row on one line,
 * and its --json document parses with the names well-formed (lone surrogates as U+FFFD).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectBuilt, ROOT, runCliBytes } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const FIXTURE = path.join(ROOT, 'fixtures/adversarial-names');
const NOW = '2026-11-25T00:00:00Z';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();
/** Every control a terminal could act on; the output's own newlines are allowed. */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The agent names as the log holds them, read back with JSON.parse (lone surrogates and all). */
const NAMES = [
  ...new Set(
    fs
      .readFileSync(path.join(FIXTURE, 'agent_invocations.jsonl'), 'latin1')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { agent_name: string }).agent_name),
  ),
];

const dirs = tempDirsPerFile();
let dir: string;
beforeAll(() => {
  expectBuilt();
  dir = dirs.make('oak-adversarial-');
  for (const f of fs.readdirSync(FIXTURE)) if (f.endsWith('.jsonl')) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
});

/** Runs a query; stdout must be strict UTF-8 (so it is read as bytes, not decoded). */
function query(args: string[]): string {
  const r = runCliBytes([...args, '--dir', dir, '--now', NOW]);
  expect(r.code, r.stderr.toString()).toBe(0);
  expect(r.stderr.toString()).toBe('');
  return strictUtf8.decode(r.stdout);
}

const QUERIES = [['stats'], ['agents'], ['ranking'], ['handoffs'], ['report'], ['workflows'], ['open'], ['gaps'], ['estimates'], ['bottlenecks'], ['trends', NAMES[0]!], ['best-agent', '--task', 'task for', '--all', '--min-confidence', '0']];

describe('adversarial names', () => {
  it('the fixture holds the names it promises', () => {
    expect(NAMES).toContain('\x1b]0;owned\x07');
    expect(NAMES).toContain('lone\ud800surrogate');
    expect(NAMES).toContain('two\nlines');
    expect(NAMES).toContain('__proto__');
  });

  it.each(QUERIES)('%s: a table with no control character, one row per agent', (...args) => {
    const text = query(args);
    expect(text).not.toMatch(CONTROL);
    if (args[0] === 'stats' || args[0] === 'agents') {
      // Header, rule, and one line per agent: no name spilled onto a second line.
      const lines = text.trimEnd().split('\n').slice(2);
      const table = lines.slice(0, lines.includes('') ? lines.indexOf('') : undefined);
      expect(table).toHaveLength(2 + NAMES.length);
    }
  });

  it('shows controls as visible escapes and lone surrogates as U+FFFD', () => {
    const text = query(['stats']);
    expect(text).toContain('\\x1b]0;owned\\x07');
    expect(text).toContain('two\\x0alines');
    expect(text).toContain('c1\\x9b31mred\\x7fdel');
    expect(text).toContain('lone\ufffdsurrogate');
  });

  it.each(QUERIES)('%s --json: well-formed JSON, no raw control character', (...args) => {
    const text = query([...args, '--json']);
    expect(text).not.toMatch(CONTROL);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('the JSON holds every name, each lone surrogate as U+FFFD', () => {
    const stats = JSON.parse(query(['stats', '--json'])) as { agents: Record<string, unknown> };
    expect(Object.keys(stats.agents).sort()).toEqual(NAMES.map(toWellFormed).sort());
    const ranking = JSON.parse(query(['ranking', '--json'])) as Array<{ agent_name: string }>;
    expect(ranking.map((r) => r.agent_name).sort()).toEqual(NAMES.map(toWellFormed).sort());
  });
});
