/**
 * Every table command on an 80-column terminal: no line longer than the terminal (in display
 * columns, so wide characters count twice), the same --limit everywhere, --wide for the wide
 * columns, agents by runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/cli/terminalText.js';
import { runCli } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const NOW = '2026-11-01T00:00:00Z';
const temp = tempDirsPerFile();
let generated: string;
let named: string;

beforeAll(() => {
  const work = temp.make('oak-widthcli-');
  generated = path.join(work, 'generated');
  const r = runCli(['generate', '--out', generated, '--workflows', '300', '--seed', '5', '--now', NOW], { cwd: work });
  expect(r.code, r.stderr).toBe(0);
  // The same data with long and double-width names: a project, an agent, a workflow id.
  named = path.join(work, 'named');
  fs.mkdirSync(named);
  for (const file of fs.readdirSync(generated)) {
    const text = fs
      .readFileSync(path.join(generated, file), 'utf8')
      .replaceAll('"Project 1"', '"プロジェクト・ベータ・インフラストラクチャ移行作業"')
      .replaceAll('"code-reviewer"', '"コードレビュー担当エージェント-with-a-very-long-name"')
      .replaceAll('"wf-5-0000007"', '"wf-5-0000007-' + 'x'.repeat(90) + '"');
    fs.writeFileSync(path.join(named, file), text);
  }
});

const TABLES: string[][] = [
  ['stats'],
  ['agents'],
  ['ranking'],
  ['workflows'],
  ['overhead'],
  ['open'],
  ['report'],
  ['handoffs'],
  ['gaps'],
  ['estimates'],
  ['bottlenecks'],
  ['trends', 'code-reviewer'],
  ['trends', 'コードレビュー担当エージェント-with-a-very-long-name'],
  ['best-agent', '--task', 'add payment endpoint', '--all'],
  ['best-agent', '--task', 'review code tests', '--all', '--min-confidence', '0'],
];

function lines(dir: string, args: readonly string[], env: Record<string, string> = { COLUMNS: '80' }): string[] {
  const r = runCli([...args, '--dir', dir, '--now', NOW, '--source', 'replay'], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

const tooLong = (text: readonly string[], width: number) => text.filter((l) => displayWidth(l) > width);

describe('COLUMNS=80', () => {
  it.each(TABLES)('%s: every line fits in 80 columns', (...args) => {
    for (const dir of [generated, named]) {
      const text = lines(dir, args);
      expect(text.length).toBeGreaterThan(0);
      expect(tooLong(text, 80), `${args.join(' ')} --dir ${path.basename(dir)}`).toEqual([]);
    }
  });

  it('fits a narrower terminal too, and cuts cells with an ellipsis, not mid-row', () => {
    const text = lines(named, ['report'], { COLUMNS: '60' });
    expect(tooLong(text, 60)).toEqual([]);
    expect(text.some((l) => l.includes('…'))).toBe(true);
  });

  it('--wide shows every column whole, whatever the width', () => {
    const text = lines(generated, ['report', '--wide']);
    expect(tooLong(text, 80).length).toBeGreaterThan(0);
    expect(text).toContainEqual(expect.stringMatching(/ Recommended$/));
    expect(text).toContainEqual(expect.stringMatching(/^Workflow +Project +Hand-off chain +Plan +Adherence$/));
  });

  it('piped without COLUMNS: no width limit (whole cells for grep), and ASCII under a non-UTF-8 locale', () => {
    const piped = lines(named, ['handoffs', '--limit', '0'], {});
    expect(piped.some((l) => l.includes('x'.repeat(90)))).toBe(true);
    const ascii = lines(generated, ['workflows'], { COLUMNS: '80', LANG: 'C' });
    expect(ascii.join('\n')).not.toMatch(/[→…]/);
    expect(ascii).toContainEqual(expect.stringMatching(/ -> /));
    expect(lines(generated, ['workflows'])).toContainEqual(expect.stringMatching(/ → /));
  });
});

describe('--limit on every list', () => {
  const rows = (text: string[], header: RegExp) => {
    const at = text.findIndex((l) => header.test(l));
    const end = text.findIndex((l, i) => i > at + 1 && (l === '' || l.startsWith('(')));
    return text.slice(at + 2, end === -1 ? undefined : end);
  };

  it('open and estimates show N rows and say how many there are', () => {
    const open = lines(generated, ['open', '--limit', '3']);
    expect(rows(open, /^Workflow +Project/)).toHaveLength(3);
    expect(open.at(-1)).toMatch(/^\(3 of \d+ open workflows shown; --limit N for more, 0 for all\)$/);
    const estimates = lines(generated, ['estimates', '--limit', '3']);
    expect(rows(estimates, /^Project +Workflows/)).toHaveLength(3);
    expect(estimates).toContainEqual(expect.stringMatching(/^\(3 of \d+ projects shown; --limit N for more, 0 for all\)$/));
  });

  it('stats, agents and report take it too; agents are listed by runs', () => {
    const stats = lines(generated, ['stats', '--limit', '2']);
    const agentRows = rows(stats, /^Agent +Runs/);
    expect(agentRows).toHaveLength(2);
    expect(stats).toContainEqual(expect.stringMatching(/^\(2 of 12 agents shown/));
    const all = rows(lines(generated, ['stats']), /^Agent +Runs/).map((l) => Number(l.split(/ +/)[1]));
    expect(all).toHaveLength(12);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    const agents = rows(lines(generated, ['agents']), /^Agent +Success/).map((l) => Number(l.split(/ +/)[3]));
    expect(agents).toEqual([...agents].sort((a, b) => b - a));
    const report = lines(generated, ['report', '--limit', '2']);
    expect(report).toContainEqual(expect.stringMatching(/^\(2 of \d+ open workflows shown/));
    expect(report).toContainEqual(expect.stringMatching(/^\(2 of \d+ pairs shown/));
  });
});

describe('best-agent when no agent reaches the confidence', () => {
  it('names the closest agents, what their confidence is made of, and the flags that would change the answer', () => {
    const text = lines(generated, ['best-agent', '--task', 'add payment endpoint', '--all']);
    expect(text[0]).toBe('No agent reaches confidence 0.5 for this task. The closest:');
    expect(text).toContainEqual(expect.stringMatching(/^Agent +Confidence +Runs +Success +Relevance$/));
    const advice = text.join('\n');
    expect(advice).toMatch(/--min-confidence 0\.\d\d +would answer \S+ \(0\.\d{3}\)/);
    expect(advice).toContain('--domain WORD');
    // The JSON is the reference's: an empty list.
    const json = runCli(['best-agent', '--task', 'add payment endpoint', '--all', '--json', '--dir', generated, '--now', NOW, '--source', 'replay']);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('the suggested --min-confidence gives that agent', () => {
    const advice = lines(generated, ['best-agent', '--task', 'add payment endpoint']).join('\n');
    const [, min, agent] = /--min-confidence (\S+) +would answer (\S+)/.exec(advice) ?? [];
    const answer = lines(generated, ['best-agent', '--task', 'add payment endpoint', '--min-confidence', min as string]);
    expect(answer[2]?.split(/ +/)[0]).toBe(agent);
  });
});
