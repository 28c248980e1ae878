/**
 * A TypeScript port of /work/shared/parity/check_cli.py: its `diff` (same tolerance rules) and
 * its per-case list of questions, answered either through the library (replayDirectory + the
 * queries) or through the built CLI as a process. The Python script needs python3 and the
 * shared folder; this port runs wherever the tests run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseTimestampUs } from '../../src/domain/time.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import type { TelemetryState } from '../../src/projections/folds/telemetryState.js';
import * as q from '../../src/queries/telemetryQueries.js';

const ROUND3: ReadonlySet<string> = new Set(['success_rate', 'success_rate_change', 'recent_success_rate', 'historical_success_rate']);
const ROUND2: ReadonlySet<string> = new Set([
  'average_quality',
  'average_duration_seconds',
  'avg_duration_minutes',
  'avg_agents_per_workflow',
  'coordination_overhead_pct',
  'avg_coordination_minutes',
]);

/** Python's "int or float, but not bool". */
function isPyNumber(value: unknown): value is number {
  return typeof value === 'number';
}

/** Python's "isinstance(x, dict)" for a parsed JSON value. */
function isPyDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function close(key: string, a: number, b: number, rounded: boolean): boolean {
  let tol: number;
  if (rounded && ROUND3.has(key)) tol = 1.01e-3;
  else if (rounded && ROUND2.has(key)) tol = 1.01e-2;
  else if (key === 'score') tol = 1.01e-3;
  else tol = 1e-9 * Math.max(1.0, Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= tol;
}

/**
 * Python's `exp != got` for the leaves `diff` reaches: bools are ints there (True == 1), and
 * containers only equal containers of equal content.
 */
function pyEquals(a: unknown, b: unknown): boolean {
  const numeric = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (isPyDict(a) || isPyDict(b)) {
    if (!isPyDict(a) || !isPyDict(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return a === b;
}

/** json.dumps(x) for messages (close enough: messages are for people). */
function dumps(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, null, 1)?.replace(/\n\s*/g, ' ') ?? String(value);
}

/** Python's str() of a number, as the messages print them. */
function pyStr(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/** Human-readable differences between expected and got; empty when they agree. */
export function diff(exp: unknown, got: unknown, pathSoFar = '', key = '', rounded = true): string[] {
  const out: string[] = [];
  walk(exp, got, pathSoFar, key, rounded, out);
  return out;
}

function walk(exp: unknown, got: unknown, at: string, key: string, rounded: boolean, out: string[]): void {
  if (isPyNumber(exp) && isPyNumber(got)) {
    if (!close(key, exp, got, rounded)) out.push(`${at}: expected ${pyStr(exp)}, got ${pyStr(got)}`);
    return;
  }
  if (isPyDict(exp)) {
    if (!isPyDict(got)) {
      out.push(`${at}: expected an object, got ${dumps(got).slice(0, 80)}`);
      return;
    }
    for (const k of Object.keys(exp)) {
      if (!Object.hasOwn(got, k)) {
        out.push(`${at}.${k}: missing`);
        continue;
      }
      walk(exp[k], got[k], `${at}.${k}`, k, rounded, out);
    }
    return;
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(got) || got.length !== exp.length) {
      out.push(`${at}: expected ${exp.length} items, got ${dumps(got).slice(0, 200)}`);
      return;
    }
    exp.forEach((e, i) => walk(e, got[i], `${at}[${i}]`, key, rounded, out));
    return;
  }
  if (!pyEquals(exp, got)) out.push(`${at}: expected ${dumps(exp).slice(0, 120)}, got ${dumps(got).slice(0, 120)}`);
}

/** expected.json of a parity case (the parts check_cli.py reads). */
export interface ParityExpected {
  readonly now: string;
  readonly stats: unknown;
  readonly workflows: unknown;
  readonly overhead: unknown;
  readonly trends: Record<string, Record<string, unknown>>;
  readonly ranking: Record<string, Array<[string, number]>>;
  readonly best_agent: ReadonlyArray<{ task: string; domain: string | null; min_confidence: number; all: unknown }>;
}

export function readExpected(caseDir: string): ParityExpected {
  return JSON.parse(fs.readFileSync(path.join(caseDir, 'expected.json'), 'utf8')) as ParityExpected;
}

/** One question of a case: how the CLI is asked, how the library is asked, and the answer wanted. */
export interface ParityQuestion {
  readonly name: string;
  /** CLI arguments without --dir and --json. */
  readonly cliArgs: readonly string[];
  readonly ask: (state: TelemetryState, nowUs: number) => unknown;
  readonly expected: unknown;
  readonly rounded: boolean;
  /** Top-level keys dropped from the answer before comparing. */
  readonly drop: readonly string[];
}

/** The questions check_cli.py asks of a case, in its order. */
export function parityQuestions(exp: ParityExpected): ParityQuestion[] {
  const qs: ParityQuestion[] = [];
  const add = (name: string, cliArgs: string[], ask: ParityQuestion['ask'], expected: unknown, rounded = true, drop: string[] = []) =>
    qs.push({ name, cliArgs, ask, expected, rounded, drop });
  add('stats', ['stats'], (s) => q.stats(s), exp.stats, true, ['generated_at']);
  add('workflows', ['workflows'], (s) => q.workflows(s), exp.workflows);
  add('overhead', ['overhead'], (s) => q.overhead(s), exp.overhead);
  for (const [agent, byDays] of Object.entries(exp.trends)) {
    for (const [days, t] of Object.entries(byDays)) {
      add(
        `trends ${agent} --days ${days}`,
        ['trends', agent, '--days', days, '--now', exp.now],
        (s, nowUs) => q.trends(s, agent, Number(days), nowUs),
        t,
      );
    }
  }
  for (const [tt, ranking] of Object.entries(exp.ranking)) {
    const want = ranking.map(([n, score]) => ({ agent_name: n, score }));
    add(
      `ranking ${tt || '(all)'}`,
      ['ranking', ...(tt ? ['--task-type', tt] : [])],
      (s) => q.ranking(s, tt ? tt : undefined),
      want,
      false,
    );
  }
  for (const query of exp.best_agent) {
    const args = ['best-agent', '--task', query.task, '--min-confidence', String(query.min_confidence), '--all', '--now', exp.now];
    if (query.domain) args.push('--domain', query.domain);
    add(
      `best-agent '${query.task}'/${query.domain ?? 'None'}`,
      args,
      (s, nowUs) =>
        q.bestAgents(s, { task: query.task, domain: query.domain ? query.domain : undefined, minConfidence: query.min_confidence, nowUs }),
      query.all,
      false,
    );
  }
  return qs;
}

/** One computed document next to the one expected. */
export interface ParityDocument {
  readonly name: string;
  readonly expected: unknown;
  /** The answer, or the error that kept it from coming. */
  readonly got: { readonly value: unknown } | { readonly error: string };
  readonly rounded: boolean;
}

function dropKeys(value: unknown, drop: readonly string[]): unknown {
  if (!isPyDict(value) || drop.length === 0) return value;
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    if (!drop.includes(k)) Object.defineProperty(copy, k, { value: value[k], enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** The documents of a case, answered by the library over the case directory. */
export function libraryDocuments(caseDir: string): ParityDocument[] {
  const exp = readExpected(caseDir);
  const nowUs = parseTimestampUs(exp.now);
  if (Number.isNaN(nowUs)) throw new Error(`${caseDir}/expected.json: now ${JSON.stringify(exp.now)} does not parse`);
  const state = replayDirectory(caseDir).state;
  return parityQuestions(exp).map((question) => {
    let got: ParityDocument['got'];
    try {
      got = { value: dropKeys(question.ask(state, nowUs), question.drop) };
    } catch (error) {
      got = { error: String(error) };
    }
    return { name: question.name, expected: question.expected, got, rounded: question.rounded };
  });
}

/** Runs the CLI once, as check_cli.py's `run` does: exit 0 and one JSON document, or an error. */
export function runCli(cliJs: string, args: readonly string[]): { value: unknown } | { error: string } {
  const p = spawnSync(process.execPath, [cliJs, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (p.error !== undefined) return { error: `\`${args.join(' ')}\` did not run: ${p.error.message}` };
  if (p.status !== 0) {
    return { error: `\`${args.join(' ')}\` exited ${p.status}: ${(p.stderr || p.stdout).trim().slice(-300)}` };
  }
  try {
    return { value: JSON.parse(p.stdout) as unknown };
  } catch {
    return { error: `\`${args.join(' ')}\` printed no JSON document: ${JSON.stringify(p.stdout.slice(0, 200))}` };
  }
}

/** The documents of a case, answered by the built CLI (`node cliJs ... --dir caseDir --json`). */
export function cliDocuments(caseDir: string, cliJs: string): ParityDocument[] {
  const exp = readExpected(caseDir);
  return parityQuestions(exp).map((question) => {
    const result = runCli(cliJs, [...question.cliArgs, '--dir', caseDir, '--json']);
    const got = 'value' in result ? { value: dropKeys(result.value, question.drop) } : result;
    return { name: question.name, expected: question.expected, got, rounded: question.rounded };
  });
}

/** check_cli.py's list of problems for a case: "<question><path>: ..." per difference. */
export function differences(documents: readonly ParityDocument[]): string[] {
  const problems: string[] = [];
  for (const doc of documents) {
    if ('error' in doc.got) {
      problems.push(`${doc.name}: ${doc.got.error}`);
      continue;
    }
    for (const p of diff(doc.expected, doc.got.value, '', '', doc.rounded)) problems.push(`${doc.name}${p}`);
  }
  return problems;
}

/** Case directories (those with expected.json) under a folder, sorted by name. */
export function parityCaseDirs(root: string): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'expected.json')))
    .map((e) => path.join(root, e.name))
    .sort();
}
