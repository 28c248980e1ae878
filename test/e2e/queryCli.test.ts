/**
 * The query CLI as a process, as a user runs it: help, usage errors, --json documents and
 * tables, bad lines, `validate`, and where the telemetry directory comes from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliOptions, type CliRun, ROOT as root, runCli, runCliJson } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const fixtures = path.join(root, 'fixtures/parity');
const SEED = path.join(fixtures, 'seed-demo');
const FILES = ['agent_invocations.jsonl', 'success_metrics.jsonl', 'workflow_events.jsonl'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const seedExpected: Json = JSON.parse(fs.readFileSync(path.join(SEED, 'expected.json'), 'utf8'));
const emptyExpected: Json = JSON.parse(fs.readFileSync(path.join(fixtures, 'empty/expected.json'), 'utf8'));
const NOW = seedExpected.now as string;

const temp = tempDirsPerFile();
let work: string;
beforeAll(() => {
  work = temp.make('oak-querycli-');
});

type Run = CliRun;
const run = (args: string[], opts: CliOptions = {}): Run => runCli(args, { cwd: work, ...opts });
/** Runs a query expected to succeed silently and print one JSON document. */
const runJson = (args: string[], opts: CliOptions = {}): Json => runCliJson<Json>(args, { cwd: work, ...opts });

/** A fresh copy of a fixture case (its three files) in the temp dir. */
function copyCase(name: string, to: string): string {
  fs.mkdirSync(to, { recursive: true });
  for (const f of FILES) {
    const from = path.join(fixtures, name, f);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(to, f));
  }
  return to;
}

const withoutGeneratedAt = ({ generated_at: _g, ...rest }: Json) => rest;
const overheadOf = (o: Json) => ({
  coordination_overhead_pct: o.coordination_overhead_pct,
  recommendation: o.recommendation,
  avg_coordination_minutes: o.avg_coordination_minutes,
});

const QUERY_FLAGS = ['--dir', '--now', '--json'];
const HELP: Record<string, string[]> = {
  stats: QUERY_FLAGS,
  workflows: QUERY_FLAGS,
  overhead: QUERY_FLAGS,
  trends: [...QUERY_FLAGS, '--days', '<agent>'],
  ranking: [...QUERY_FLAGS, '--task-type'],
  'best-agent': [...QUERY_FLAGS, '--task', '--domain', '--min-confidence', '--all'],
  open: QUERY_FLAGS,
  agents: [...QUERY_FLAGS, '--window'],
  report: QUERY_FLAGS,
  validate: ['--dir', '--max-line-bytes', '--json'],
  log: ['workflow-start', 'invocation', 'update', 'metric', 'handoff', 'workflow-complete'],
  'log workflow-start': ['--dir', '--workflow-id', '--project', '--plan', '--estimated-duration'],
  'log invocation': ['--dir', '--agent', '--agent-type', '--task', '--task-type', '--workflow-id', '--parent-invocation-id'],
  'log update': ['--dir', '--invocation-id', '--duration', '--status', '--error'],
  'log metric': ['--dir', '--invocation-id', '--success', '--quality', '--feedback-source', '--notes'],
  'log handoff': ['--dir', '--workflow-id', '--from', '--to', '--artifacts'],
  'log workflow-complete': ['--dir', '--workflow-id', '--duration', '--success', '--agents'],
};

describe('help', () => {
  it('lists every command at the top level', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const cmd of Object.keys(HELP).filter((c) => !c.includes(' '))) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
  });

  it.each(Object.entries(HELP))('%s --help exits 0 and names its flags', (cmd, flags) => {
    const r = run([...cmd.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Usage: oak-telemetry ${cmd} `);
    for (const flag of [...flags, '--help']) expect(r.stdout, flag).toContain(flag);
  });

  it('gives every other command listed in the top-level help a working --help', () => {
    const top = run(['--help']).stdout;
    const section = top.slice(top.indexOf('Commands:'), top.indexOf('Examples:'));
    const commands = [...section.matchAll(/^  ([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(Object.keys(HELP).filter((c) => !c.includes(' '))));
    for (const cmd of commands.filter((c) => !(c in HELP))) {
      const r = run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`Usage: oak-telemetry ${cmd}`);
    }
  });
});

describe('usage errors exit 2 with a message on stderr and nothing on stdout', () => {
  it.each([
    ['unknown command', ['nope'], /unknown command 'nope'/],
    ['unknown flag', ['stats', '--bogus'], /unknown option '--bogus'/],
    ['unknown flag on validate', ['validate', '--bogus'], /unknown option '--bogus'/],
    ['missing required flag', ['best-agent', '--dir', SEED], /required option '--task <text>' not specified/],
    ['missing argument', ['trends', '--dir', SEED], /missing required argument 'agent'/],
    ['flag without its value', ['stats', '--dir'], /option '--dir <path>' argument missing/],
    ['bad --now on stats', ['stats', '--dir', SEED, '--now', 'garbage'], /--now must be an ISO-8601 time.*"garbage"/],
    ['bad --now on trends', ['trends', 'x', '--dir', SEED, '--now', '2026-13-01T00:00:00Z'], /--now must be an ISO-8601 time/],
    ['bad --now on best-agent', ['best-agent', '--task', 'x', '--dir', SEED, '--now', 'yesterday'], /--now must be an ISO-8601 time/],
    ['bad --now on open', ['open', '--dir', SEED, '--now', '2026-02-30T00:00:00Z'], /--now must be an ISO-8601 time/],
    ['bad --now on report', ['report', '--dir', SEED, '--now', ''], /--now must be an ISO-8601 time/],
    ['non-numeric --days', ['trends', 'x', '--dir', SEED, '--days', 'abc'], /--days must be a number, got "abc"/],
    ['zero --days', ['trends', 'x', '--dir', SEED, '--days', '0'], /--days must be a whole number >= 1, got 0/],
    ['negative --days', ['trends', 'x', '--dir', SEED, '--days', '-3'], /--days must be a whole number >= 1, got -3/],
    ['fractional --days', ['trends', 'x', '--dir', SEED, '--days', '1.5'], /--days must be a whole number >= 1, got 1\.5/],
    ['bad --min-confidence', ['best-agent', '--task', 'x', '--dir', SEED, '--min-confidence', 'high'], /--min-confidence must be a number/],
    ['bad --window', ['agents', '--dir', SEED, '--window', '0'], /--window must be a whole number >= 1/],
    ['bad --max-line-bytes', ['validate', '--dir', SEED, '--max-line-bytes', 'lots'], /--max-line-bytes must be a number/],
    ['negative --max-line-bytes', ['validate', '--dir', SEED, '--max-line-bytes', '-1'], /--max-line-bytes must be a whole number >= 1/],
  ])('%s', (_name, args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('queries with --json print one JSON document with the answer', () => {
  it('stats', () => {
    expect(withoutGeneratedAt(runJson(['stats', '--dir', SEED, '--now', NOW]))).toEqual(seedExpected.stats);
  });

  it('workflows', () => {
    expect(runJson(['workflows', '--dir', SEED])).toEqual(seedExpected.workflows);
  });

  it('overhead', () => {
    expect(overheadOf(runJson(['overhead', '--dir', SEED]))).toEqual(seedExpected.overhead);
  });

  it('trends, for each agent (windows alternating, to keep the process count down)', () => {
    Object.entries(seedExpected.trends as Record<string, Record<string, unknown>>).forEach(([agent, byDays], i) => {
      const windows = Object.entries(byDays);
      const [days, want] = windows[i % windows.length]!;
      expect(runJson(['trends', agent, '--days', days, '--now', NOW, '--dir', SEED]), `${agent} ${days}`).toEqual(want);
    });
  });

  it('ranking, overall and per task type', () => {
    for (const [taskType, want] of Object.entries(seedExpected.ranking as Record<string, [string, number][]>)) {
      const args = ['ranking', '--dir', SEED, ...(taskType === '' ? [] : ['--task-type', taskType])];
      expect(runJson(args), taskType).toEqual(want.map(([agent_name, score]) => ({ agent_name, score })));
    }
  });

  it('best-agent: the best as one object or null, and --all as a list', () => {
    const queries = seedExpected.best_agent as Json[];
    // Both forms for a query with no match, one with one match and one with several.
    const bothForms = new Set([queries.find((b) => b.all.length === 0), queries.find((b) => b.all.length === 1), queries.find((b) => b.all.length > 1)]);
    expect(bothForms.has(undefined)).toBe(false);
    for (const b of queries) {
      const args = ['best-agent', '--task', b.task, '--min-confidence', String(b.min_confidence), '--now', NOW, '--dir', SEED];
      if (b.domain !== null) args.push('--domain', b.domain);
      if (bothForms.has(b)) expect(runJson(args), b.task).toEqual(b.best);
      expect(runJson([...args, '--all']), b.task).toEqual(b.all);
    }
  });

  it('open, agents and report', () => {
    const edge = path.join(fixtures, 'edge-mixed');
    expect(runJson(['open', '--dir', edge, '--now', '2026-11-01T11:00:00Z'])).toEqual([
      {
        workflow_id: 'wf-C', project: 'Open one', started_at: '2026-11-01T10:40:00Z', age_seconds: 1200,
        agent_plan: ['coder', 'tester'], agents: ['coder'], running_agent: 'coder', handoffs: 0,
      },
    ]);
    const agents = runJson(['agents', '--dir', SEED, '--window', '3']);
    expect(agents.map((a: Json) => [a.agent_name, a.invocation_count])).toEqual(
      Object.entries(seedExpected.stats.agents).map(([name, a]: [string, Json]) => [name, a.invocation_count]),
    );
    const report = runJson(['report', '--dir', SEED, '--now', NOW]);
    expect(withoutGeneratedAt(report.stats)).toEqual(seedExpected.stats);
    expect(report.workflows).toEqual(seedExpected.workflows);
    expect(overheadOf(report.overhead)).toEqual(seedExpected.overhead);
  });
});

describe('queries without --json print tables, not JSON', () => {
  function table(args: string[]): string[] {
    const r = run([...args, '--dir', SEED, '--now', NOW]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(() => JSON.parse(r.stdout)).toThrow();
    expect(r.stdout).not.toMatch(/^\s*[[{]/);
    expect(r.stdout).not.toContain('":');
    return r.stdout.trimEnd().split('\n');
  }

  it('stats', () => {
    const lines = table(['stats']);
    // Times to the second; recommendations only with --wide.
    expect(lines[0]).toBe('15 invocations from 2026-11-24T03:02:22Z to 2026-11-24T03:02:22Z');
    expect(lines[2]).toMatch(/^Agent +Runs +Success +Quality +Avg time +Common task types$/);
    expect(lines[4]).toMatch(/^backend-architect +6 +100\.0% +4\.50 +34\.6 min +api_development, database_design$/);
    expect(lines).toHaveLength(4 + Object.keys(seedExpected.stats.agents).length);
    const wide = table(['stats', '--wide']);
    expect(wide[2]).toMatch(/^Agent +Runs +Success +Quality +Avg time +Common task types +Recommended$/);
    expect(wide[4]).toMatch(/^backend-architect +6 +100\.0% +4\.50 +34\.6 min +api_development, database_design +High success rate/);
  });

  it('workflows, overhead and trends', () => {
    expect(table(['workflows']).slice(0, 4)).toEqual([
      'Completed workflows:  1',
      'Average duration:     240.00 min',
      'Success rate:         100.0%',
      'Agents per workflow:  4.00',
    ]);
    expect(table(['overhead'])).toEqual([
      'Coordination overhead:  0.00% of workflow time spent outside agents',
      'Average per workflow:   0.00 min (1 workflow)',
      'Recommendation:         Stay Phase 1-2 (Efficient coordination)',
    ]);
    // The reference reads the empty older window as 0% and says "improving" (the JSON keeps it); the table says it is empty.
    expect(JSON.parse(run(['trends', 'backend-architect', '--dir', SEED, '--now', NOW, '--json']).stdout).trend).toBe('improving');
    expect(table(['trends', 'backend-architect'])).toEqual([
      'backend-architect: no trend (no runs 7 to 30 days ago to compare with)',
      '  last 7 days:      100.0% success (6 runs)',
      '  7 to 30 days ago: no runs in this window',
    ]);
    expect(table(['trends', 'no-such-agent'])).toEqual(['no-such-agent: insufficient data (fewer than 2 invocations).']);
  });

  it('ranking, best-agent, open, agents and report', () => {
    expect(table(['ranking'])).toEqual([
      '#  Agent               Score',
      '-  ------------------  -----',
      '1  security-auditor    1.000',
      '2  systems-architect   1.000',
      '3  qa-specialist       1.000',
      '4  backend-architect   0.960',
      '5  frontend-developer  0.904',
    ]);
    const best = table(['best-agent', '--task', 'build api endpoint', '--min-confidence', '0', '--all']);
    expect(best[0]).toMatch(/^Agent +Confidence +Success +Avg duration +Tasks +Recent trend$/);
    expect(best.slice(2).map((l) => l.split(/ +/)[0])).toEqual(
      seedExpected.best_agent.find((b: Json) => b.task === 'build api endpoint').all.map((m: Json) => m.agent_name),
    );
    expect(table(['best-agent', '--task', 'xyzzy plugh'])[0]).toBe('No agent has run a task sharing a word with this one.');
    expect(table(['open'])).toEqual(['No open workflows.']);
    expect(table(['agents']).slice(0, 3)).toEqual([
      "Success: over each agent's last 20 decided invocations",
      '',
      expect.stringMatching(/^Agent +Success +Decided +Runs +Last seen$/),
    ]);
    const report = table(['report']);
    expect(report[0]).toBe(`oak-telemetry report for ${SEED}`);
    expect(report).toContain('== Coordination overhead ==');
  });
});

/** The lines spliced into a copy of seed-demo, and where they land. */
const BAD = {
  invocations: { afterLine: 3, bytes: '{"invocation_id": "x", "agent_name": ' },
  metrics: { afterLine: 0, bytes: '[1, 2]' },
  workflows: { afterLine: 5, bytes: '{"timestamp": "2026-11-24T03:02:22Z", "event": "workflow_complete", "workflow_id": "w", "duration_seconds": "9", "success": true}' },
};

function spliceLine(file: string, afterLine: number, line: string): { line: number; byteOffset: number } {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const byteOffset = Buffer.byteLength(lines.slice(0, afterLine).map((l) => l + '\n').join(''));
  lines.splice(afterLine, 0, line);
  fs.writeFileSync(file, lines.join('\n'));
  return { line: afterLine + 1, byteOffset };
}

describe('bad lines', () => {
  let dirty: string;
  let at: { line: number; byteOffset: number }[];
  beforeAll(() => {
    dirty = copyCase('seed-demo', path.join(work, 'dirty'));
    at = [
      spliceLine(path.join(dirty, FILES[0]), BAD.invocations.afterLine, BAD.invocations.bytes),
      spliceLine(path.join(dirty, FILES[1]), BAD.metrics.afterLine, BAD.metrics.bytes),
      spliceLine(path.join(dirty, FILES[2]), BAD.workflows.afterLine, BAD.workflows.bytes),
    ];
  });

  it('queries print the clean answer and a note with the count of skipped lines on stderr', () => {
    for (const args of [['stats'], ['workflows'], ['ranking'], ['trends', 'backend-architect', '--now', NOW]]) {
      const clean = run([...args, '--dir', SEED, '--json']);
      const r = run([...args, '--dir', dirty, '--json']);
      expect(r.code, args[0]).toBe(0);
      expect(withoutGeneratedAt(JSON.parse(r.stdout))).toEqual(withoutGeneratedAt(JSON.parse(clean.stdout)));
      expect(r.stderr).toMatch(/skipped 3 bad lines/);
      expect(r.stderr).toContain(dirty);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const table = run(['stats', '--dir', dirty]);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(run(['stats', '--dir', SEED]).stdout);
    expect(table.stderr).toMatch(/skipped 3 bad lines/);
  });

  it('says "1 bad line" for one', () => {
    const one = copyCase('seed-single-workflow', path.join(work, 'one-bad'));
    fs.appendFileSync(path.join(one, FILES[1]), 'not json\n');
    const r = run(['workflows', '--dir', one]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped 1 bad line\b(?!s)/);
  });

  it('validate prints each bad line with path, line number, byte offset and reason, and exits 1', () => {
    const r = run(['validate', '--dir', dirty]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      expect.stringMatching(new RegExp(`^${esc(path.join(dirty, FILES[0]))}:4: byte ${at[0]!.byteOffset}: not JSON: `)),
      `${path.join(dirty, FILES[1])}:1: byte 0: not a JSON object`,
      `${path.join(dirty, FILES[2])}:6: byte ${at[2]!.byteOffset}: duration_seconds must be a number, got a string`,
    ]);
    expect(lines.slice(3)).toEqual([
      'agent_invocations.jsonl: 15 good, 1 bad',
      'success_metrics.jsonl: 15 good, 1 bad',
      'workflow_events.jsonl: 5 good, 1 bad',
    ]);
    expect(r.stderr).toMatch(/3 bad lines/);
    // The offsets point at the bad lines' first bytes.
    for (const [i, f] of FILES.entries()) {
      const bytes = fs.readFileSync(path.join(dirty, f));
      const want = Object.values(BAD)[i]!.bytes;
      expect(bytes.subarray(at[i]!.byteOffset, at[i]!.byteOffset + Buffer.byteLength(want)).toString()).toBe(want);
    }
  });

  it('validate --json prints the bad lines as NDJSON', () => {
    const r = run(['validate', '--dir', dirty, '--json']);
    expect(r.code).toBe(1);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { file: FILES[0], line: 4, byteOffset: at[0]!.byteOffset, reason: expect.stringMatching(/^not JSON: /) },
      { file: FILES[1], line: 1, byteOffset: 0, reason: 'not a JSON object' },
      { file: FILES[2], line: 6, byteOffset: at[2]!.byteOffset, reason: 'duration_seconds must be a number, got a string' },
    ]);
  });

  it('validate reports invalid UTF-8 and over-long lines, with a configurable limit', () => {
    const dir = copyCase('seed-single-workflow', path.join(work, 'bytes'));
    const metrics = path.join(dir, FILES[1]);
    const size = fs.statSync(metrics).size;
    fs.appendFileSync(metrics, Buffer.from([0x7b, 0xff, 0x7d, 0x0a]));
    fs.appendFileSync(metrics, `{"pad": "${'x'.repeat(2 * 1024 * 1024)}"}\n`);
    const r = run(['validate', '--dir', dir, '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { file: FILES[1], line: 4, byteOffset: size, reason: 'invalid UTF-8' },
      { file: FILES[1], line: 5, byteOffset: size + 4, reason: 'line longer than 1048576 bytes' },
    ]);
    const small = run(['validate', '--dir', path.join(fixtures, 'seed-single-workflow'), '--max-line-bytes', '300', '--json']);
    expect(small.code).toBe(1);
    const rows = small.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.reason).toBe('line longer than 300 bytes');
  });

  it('validate exits 0 on a clean directory', () => {
    const r = run(['validate', '--dir', SEED]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'agent_invocations.jsonl: 15 good, 0 bad',
      'success_metrics.jsonl: 15 good, 0 bad',
      'workflow_events.jsonl: 5 good, 0 bad',
    ]);
    const json = run(['validate', '--dir', SEED, '--json']);
    expect([json.code, json.stdout, json.stderr]).toEqual([0, '', '']);
  });
});

describe('a missing directory is an error, an empty one gives the empty answers', () => {
  it('missing directory: one line naming it, exit 1, nothing on stdout', () => {
    const dir = path.join(work, 'does-not-exist');
    for (const args of [['stats'], ['stats', '--json'], ['ranking'], ['handoffs', '--json'], ['report'], ['validate']]) {
      const r = run([...args, '--dir', dir]);
      expect([r.code, r.stdout, r.stderr], args.join(' ')).toEqual([1, '', `oak-telemetry: ${dir}: no such telemetry directory\n`]);
    }
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('empty directory', () => {
    const dir = fs.mkdtempSync(path.join(work, 'empty-'));
    const sample = <T>(list: T[]) => list.slice(0, 1);
    const now = emptyExpected.now as string;
    expect(withoutGeneratedAt(runJson(['stats', '--dir', dir]))).toEqual(emptyExpected.stats);
    expect(runJson(['workflows', '--dir', dir])).toEqual(emptyExpected.workflows);
    expect(overheadOf(runJson(['overhead', '--dir', dir]))).toEqual(emptyExpected.overhead);
    for (const [agent, byDays] of Object.entries(emptyExpected.trends as Record<string, Record<string, unknown>>)) {
      for (const [days, want] of sample(Object.entries(byDays))) {
        expect(runJson(['trends', agent, '--days', days, '--now', now, '--dir', dir])).toEqual(want);
      }
    }
    expect(runJson(['ranking', '--dir', dir])).toEqual([]);
    for (const b of sample((emptyExpected.best_agent as Json[]).slice(0, 3))) {
      const args = ['best-agent', '--task', b.task, '--min-confidence', String(b.min_confidence), '--now', now, '--dir', dir];
      if (b.domain !== null) args.push('--domain', b.domain);
      expect(runJson(args)).toEqual(b.best);
      expect(runJson([...args, '--all'])).toEqual(b.all);
    }
    expect(runJson(['open', '--dir', dir, '--now', now])).toEqual([]);
    expect(runJson(['agents', '--dir', dir])).toEqual([]);
    const table = run(['stats', '--dir', dir]);
    expect([table.code, table.stdout, table.stderr]).toEqual([0, 'No invocations recorded.\n', '']);
    expect(run(['validate', '--dir', dir]).code).toBe(0);
  });
});

describe('--dir falls back to $OAK_TELEMETRY_DIR, then ./telemetry', () => {
  const total = (r: Json) => r.total_invocations as number;
  let cwd: string;
  beforeAll(() => {
    cwd = path.join(work, 'cwd');
    copyCase('seed-single-workflow', path.join(cwd, 'telemetry'));
    copyCase('seed-multi-workflow', path.join(cwd, 'relative-env'));
  });

  it('uses ./telemetry under the working directory without --dir or the variable', () => {
    expect(total(runJson(['stats'], { cwd }))).toBe(3);
  });

  it('uses $OAK_TELEMETRY_DIR, absolute or relative to the working directory', () => {
    expect(total(runJson(['stats'], { cwd, env: { OAK_TELEMETRY_DIR: SEED } }))).toBe(15);
    expect(total(runJson(['stats'], { cwd, env: { OAK_TELEMETRY_DIR: 'relative-env' } }))).toBe(6);
  });

  it('prefers --dir over the variable', () => {
    const dir = path.join(fixtures, 'seed-multi-workflow');
    expect(total(runJson(['stats', '--dir', dir], { cwd, env: { OAK_TELEMETRY_DIR: SEED } }))).toBe(6);
  });

  it('validate and its messages use the same directory', () => {
    const r = run(['validate'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('agent_invocations.jsonl: 3 good, 0 bad');
    const elsewhere = path.join(work, 'cwd-empty');
    fs.mkdirSync(elsewhere);
    // No ./telemetry there: the default is named, not taken for an empty log.
    const missing = run(['stats', '--json'], { cwd: elsewhere });
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([1, '', `oak-telemetry: ${path.join(elsewhere, 'telemetry')}: no such telemetry directory\n`]);
    fs.mkdirSync(path.join(elsewhere, 'telemetry'));
    expect(total(runJson(['stats'], { cwd: elsewhere }))).toBe(0);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
