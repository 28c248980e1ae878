/**
 * handoffs, gaps, estimates and bottlenecks (and their report sections) as processes, as a
 * user runs them: help, usage errors, the empty state, tables and --json documents of
 * generated telemetry, --limit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayDirectory } from '../../src/io/replayFiles.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { type CliRun, ROOT as root, runCli, runCliJson } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const NOW = '2026-11-01T00:00:00Z';
const COMMANDS = ['handoffs', 'gaps', 'estimates', 'bottlenecks'] as const;
type Command = (typeof COMMANDS)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const temp = tempDirsPerFile();
let work: string;
let generated: string;
let empty: string;
beforeAll(() => {
  work = temp.make('oak-viewscli-');
  generated = path.join(work, 'generated');
  empty = fs.mkdtempSync(path.join(work, 'empty-'));
  const r = run(['generate', '--out', generated, '--workflows', '40', '--seed', '3', '--now', NOW]);
  expect(r.code, r.stderr).toBe(0);
});

type Run = CliRun;
const run = (args: string[]): Run => runCli(args, { cwd: work });
const runJson = (args: string[]): Json => runCliJson<Json>(args, { cwd: work });

function table(args: string[]): string[] {
  const r = run(args);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout).not.toMatch(/^\s*[[{]/);
  return r.stdout.trimEnd().split('\n');
}

/** The snapshot schema documents these documents: its sections are what `<command> --json` prints. */
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(JSON.parse(fs.readFileSync(path.join(root, 'config/snapshot.schema.json'), 'utf8')) as object);
function expectDocumented(command: Command, doc: Json): void {
  const validate = ajv.getSchema(`oak-telemetry/snapshot.schema.json#/properties/${command}`);
  expect(validate, command).toBeDefined();
  expect(validate!(doc), `${command}: ${JSON.stringify(validate!.errors)}`).toBe(true);
}

/** Top-level keys of each document, in the order they are printed. */
const KEYS: Record<Command, string[]> = {
  handoffs: ['handoffs', 'pairs', 'adherence', 'workflows'],
  gaps: ['workflows_considered', 'transitions', 'coordination', 'pairs', 'workflows'],
  estimates: ['overall', 'projects', 'worst', 'completed_without_estimate'],
  bottlenecks: ['slow_agents', 'slow_transitions', 'failure_enders', 'over_threshold'],
};

/** The capped lists ({count, items}) of each document. */
const LISTS: Record<Command, string[]> = {
  handoffs: ['pairs', 'workflows'],
  gaps: ['pairs', 'workflows'],
  estimates: ['worst'],
  bottlenecks: ['slow_agents', 'slow_transitions', 'failure_enders', 'over_threshold'],
};

/** What the library answers for the same directory: the CLI must print exactly that. */
function libraryViews(dir: string, limit: number) {
  const { state } = replayDirectory(dir);
  const args = { limit };
  return JSON.parse(
    JSON.stringify({
      handoffs: q.handoffs(state, args),
      gaps: q.gaps(state, args),
      estimates: q.estimates(state, args),
      bottlenecks: q.bottlenecks(state, args),
    }),
  ) as Record<Command, Json>;
}

describe('help', () => {
  it.each(COMMANDS)('%s --help names the filters and the list length', (command) => {
    const r = run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Usage: oak-telemetry ${command} `);
    for (const flag of ['--project', '--since', '--limit', '--dir', '--now', '--json', '--source']) expect(r.stdout, flag).toContain(flag);
    if (command === 'bottlenecks') expect(r.stdout).toContain('--threshold');
  });

  it('the top-level help lists the four commands', () => {
    const r = run(['--help']);
    for (const command of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });
});

describe('usage errors exit 2 with a message on stderr and nothing on stdout', () => {
  it.each([
    ['bad --since', ['handoffs', '--since', 'yesterday'], /--since must be an ISO-8601 time, got "yesterday"/],
    ['impossible --since', ['gaps', '--since', '2026-13-01T00:00:00Z'], /--since must be an ISO-8601 time/],
    ['negative --limit', ['estimates', '--limit', '-1'], /--limit must be a whole number >= 0, got -1/],
    ['fractional --limit', ['handoffs', '--limit', '2.5'], /--limit must be a whole number >= 0, got 2\.5/],
    ['non-numeric --limit', ['gaps', '--limit', 'many'], /--limit must be a number, got "many"/],
    ['--threshold above 100', ['bottlenecks', '--threshold', '101'], /--threshold must be between 0 and 100, got 101/],
    ['--threshold below 0', ['bottlenecks', '--threshold', '-5'], /--threshold must be between 0 and 100, got -5/],
    ['non-numeric --threshold', ['bottlenecks', '--threshold', 'high'], /--threshold must be a number, got "high"/],
    ['bad --now', ['bottlenecks', '--now', 'soon'], /--now must be an ISO-8601 time/],
  ])('%s', (_name, args, message) => {
    const r = run([...args, '--dir', generated]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('an empty directory', () => {
  const EMPTY_LINE: Record<Command, string> = {
    handoffs: 'No hand-offs or agent plans recorded.',
    gaps: 'No workflows with invocations.',
    estimates: 'No completed workflow with an estimate (estimated_duration on workflow_start); 0 completed without one.',
    bottlenecks: 'No bottlenecks: no timed invocations, transitions, unsuccessful workflows or workflows over 30% coordination overhead.',
  };
  const noList = { count: 0, items: [] };
  const EMPTY_JSON: Record<Command, Json> = {
    handoffs: { handoffs: 0, pairs: noList, adherence: { workflows: 0, same_order: 0, reordered: 0, skipped: 0, added: 0, skipped_and_added: 0 }, workflows: noList },
    gaps: {
      workflows_considered: 0,
      transitions: 0,
      coordination: {
        workflows: 0, coordination_seconds: 0, span_seconds: 0, coordination_pct: 0,
        gap_seconds: 0, idle_before_seconds: 0, idle_after_seconds: 0, overlap_seconds: 0,
      },
      pairs: noList,
      workflows: noList,
    },
    estimates: {
      overall: { workflows: 0, median_ratio: null, p90_ratio: null, over_estimate_share: null, overruns: 0 },
      projects: [],
      worst: noList,
      completed_without_estimate: 0,
    },
    bottlenecks: {
      slow_agents: noList,
      slow_transitions: noList,
      failure_enders: { unsuccessful_workflows: 0, ...noList },
      over_threshold: { threshold_pct: 30, ...noList },
    },
  };

  it.each(COMMANDS)('%s: one readable line, and a valid JSON document with --json', (command) => {
    expect(table([command, '--dir', empty])).toEqual([EMPTY_LINE[command]]);
    const doc = runJson([command, '--dir', empty]);
    expect(doc).toEqual(EMPTY_JSON[command]);
    expectDocumented(command, doc);
  });
});

describe('generated telemetry', () => {
  it('tables with their headers', () => {
    const handoffs = table(['handoffs', '--dir', generated]);
    expect(handoffs[0]).toMatch(/^\d+ hand-offs between \d+ agent pairs$/);
    expect(handoffs).toContainEqual(expect.stringMatching(/^From +To +Hand-offs +Workflows +Artifacts +Succeeded$/));
    expect(handoffs).toContainEqual(expect.stringMatching(/^Plan adherence over \d+ completed workflows with a plan: \d+ as planned/));
    expect(handoffs).toContainEqual(expect.stringMatching(/^Workflow +Project +Hand-offs +Planned +Adherence$/));
    const wide = table(['handoffs', '--dir', generated, '--wide']);
    expect(wide).toContainEqual(expect.stringMatching(/^Workflow +Project +Hand-off chain +Plan +Adherence$/));
    expect(wide).toContainEqual(expect.stringMatching(/^wf-\S+ .* \S+ → \S+/));

    const gaps = table(['gaps', '--dir', generated]);
    expect(gaps[0]).toMatch(/^\d+ transitions in \d+ workflows$/);
    expect(gaps[1]).toMatch(/^Coordination time: \d+\.\d\d% of start-to-complete time over \d+ completed workflows/);
    expect(gaps).toContainEqual(expect.stringMatching(/^From +To +Transitions +Median gap +p90 gap +Total gap$/));
    expect(gaps).toContainEqual(expect.stringMatching(/^Workflow +Project +Coordination +Span +Gaps +Idle before +Idle after$/));

    const estimates = table(['estimates', '--dir', generated]);
    expect(estimates[0]).toMatch(/^\d+ completed workflows with an estimate: median \d+\.\d\dx, p90 \d+\.\d\dx of the estimate; /);
    expect(estimates).toContainEqual(expect.stringMatching(/^Project +Workflows +Median +p90 +Over estimate +Over 2x$/));
    expect(estimates).toContainEqual(expect.stringMatching(/^Workflow +Project +Estimate +Actual +Ratio$/));

    const bottlenecks = table(['bottlenecks', '--dir', generated, '--threshold', '20']);
    expect(bottlenecks[0]).toBe('Slowest agents (duration p50 / p90):');
    expect(bottlenecks[1]).toMatch(/^Agent +Runs +p50 +p90$/);
    expect(bottlenecks).toContain('Slowest hand-overs between agents (median gap):');
    expect(bottlenecks).toContainEqual(expect.stringMatching(/^From +To +Transitions +Median gap +p90 gap$/));
    expect(bottlenecks).toContainEqual(expect.stringMatching(/^Agents whose failure ended a workflow that completed unsuccessfully \(\d+ such workflows?\):$/));
    expect(bottlenecks).toContainEqual(expect.stringMatching(/^Workflows over 20% coordination overhead: \d+$/));
  });

  it('--json documents with the documented keys, equal to the library answer', () => {
    const library = libraryViews(generated, 10);
    for (const command of COMMANDS) {
      const doc = runJson([command, '--dir', generated, '--now', NOW]);
      expect(Object.keys(doc), command).toEqual(KEYS[command]);
      expectDocumented(command, doc);
      expect(doc, command).toEqual(library[command]);
    }
    // The figures the tables above were built from are there, and not trivially empty.
    expect(library.handoffs.handoffs).toBeGreaterThan(0);
    expect(library.gaps.transitions).toBeGreaterThan(0);
    expect(library.estimates.overall.workflows).toBeGreaterThan(0);
    expect(library.bottlenecks.slow_agents.count).toBeGreaterThan(0);
  });

  it('--threshold is the one bottlenecks reports against', () => {
    const loose = runJson(['bottlenecks', '--dir', generated, '--threshold', '0']);
    const usual = runJson(['bottlenecks', '--dir', generated]);
    expect(loose.over_threshold.threshold_pct).toBe(0);
    expect(usual.over_threshold.threshold_pct).toBe(30);
    expect(loose.over_threshold.count).toBeGreaterThan(usual.over_threshold.count);
    const strict = runJson(['bottlenecks', '--dir', generated, '--threshold', '100']);
    expect(strict.over_threshold).toEqual({ threshold_pct: 100, count: 0, items: [] });
  });

  it('report has the four sections, as tables and in --json', () => {
    const report = runJson(['report', '--dir', generated, '--now', NOW]);
    expect(Object.keys(report)).toEqual(expect.arrayContaining([...COMMANDS]));
    const library = libraryViews(generated, 5);
    for (const command of COMMANDS) {
      expect(report[command], command).toEqual(library[command]);
      expectDocumented(command, report[command]);
    }
    const text = table(['report', '--dir', generated, '--now', NOW]);
    for (const heading of ['== Hand-offs ==', '== Coordination gaps ==', '== Estimates ==', '== Bottlenecks ==']) expect(text).toContain(heading);
  });

  it('--limit 2 caps every list while count stays the full number; --limit 0 shows all', () => {
    let cappedSomewhere = 0;
    for (const command of COMMANDS) {
      const all = runJson([command, '--dir', generated, '--limit', '0']);
      const two = runJson([command, '--dir', generated, '--limit', '2']);
      for (const list of LISTS[command]) {
        const where = `${command}.${list}`;
        expect(all[list].items, where).toHaveLength(all[list].count);
        expect(two[list].count, where).toBe(all[list].count);
        expect(two[list].items, where).toEqual(all[list].items.slice(0, 2));
        if (all[list].count > 2) cappedSomewhere++;
      }
      // Everything but the lists is the same whatever the limit.
      const rest = (doc: Json) => Object.fromEntries(Object.entries(doc).filter(([k]) => !LISTS[command].includes(k)));
      expect(rest(two), command).toEqual(rest(all));
    }
    expect(cappedSomewhere).toBeGreaterThanOrEqual(6);
    const lines = table(['handoffs', '--dir', generated, '--limit', '2']);
    expect(lines).toContainEqual(expect.stringMatching(/^\(2 of \d+ pairs shown; --limit N for more, 0 for all\)$/));
  });

  it('--project and --since narrow the workflows', () => {
    const all = runJson(['estimates', '--dir', generated]);
    const project = all.projects.find((p: Json) => p.project !== null).project as string;
    const one = runJson(['estimates', '--dir', generated, '--project', project]);
    expect(one.projects.map((p: Json) => p.project)).toEqual([project]);
    expect(one.overall.workflows).toBe(all.projects.find((p: Json) => p.project === project).workflows);
    const none = runJson(['handoffs', '--dir', generated, '--since', '2030-01-01T00:00:00Z']);
    expect(none.handoffs).toBe(0);
    expect(none.workflows.count).toBe(0);
  });
});
