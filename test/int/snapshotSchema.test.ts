import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  daemonDirsPerTest,
  fixtureDir,
  ROOT,
  startDaemon,
  tempDir,
  waitForReplayParity,
} from '../support/daemonHarness.js';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/snapshot.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const dirs = daemonDirsPerTest();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const readOnDisk = (stateDir: string): Json => JSON.parse(fs.readFileSync(path.join(stateDir, 'snapshot.json'), 'utf8'));
const copy = (value: Json): Json => structuredClone(value);
const expectValid = (snapshot: Json) => expect(validate(snapshot), JSON.stringify(validate.errors)).toBe(true);

/** Every capped list of the workflow views, by its path in the snapshot. */
const VIEW_LISTS = [
  'handoffs.pairs',
  'handoffs.workflows',
  'gaps.pairs',
  'gaps.workflows',
  'estimates.worst',
  'bottlenecks.slow_agents',
  'bottlenecks.slow_transitions',
  'bottlenecks.failure_enders',
  'bottlenecks.over_threshold',
] as const;
const at = (snapshot: Json, dotted: string): Json => dotted.split('.').reduce((v, k) => v[k], snapshot);

describe('snapshot.json', () => {
  it('follows config/snapshot.schema.json, and the schema rejects a snapshot missing a section', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const daemon = await startDaemon({ dir });
    const { snapshot } = await waitForReplayParity(daemon);
    // The fixture has workflows open for weeks: an alert is active, so that part is checked too.
    expect(snapshot.alerts.active.map((a) => a.alert)).toContain('open_workflow_too_long');

    const onDisk = readOnDisk(daemon.stateDir);
    // Every list of the workflow views has entries here, so each item schema is exercised.
    for (const list of VIEW_LISTS) expect(at(onDisk, list).items.length, list).toBeGreaterThan(0);
    expect(onDisk.estimates.projects.length).toBeGreaterThan(0);
    expect(onDisk.handoffs.workflows.items.some((w: Json) => w.chain.length > 0 && w.adherence !== null)).toBe(true);
    expectValid(onDisk);

    const { health: _health, ...withoutHealth } = onDisk;
    expect(validate(withoutHealth)).toBe(false);
    expect(validate({ ...onDisk, sources: { ...onDisk.sources, invocations: { size: -1 } } })).toBe(false);
    await daemon.stop();
  });

  it('requires the workflow views and describes their entries', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);
    await daemon.stop();
    const onDisk = readOnDisk(daemon.stateDir);
    expectValid(onDisk);

    for (const key of ['workflow_views_as_of', 'handoffs', 'gaps', 'estimates', 'bottlenecks']) {
      const without = copy(onDisk);
      delete without[key];
      expect(validate(without), `without ${key}`).toBe(false);
    }
    // A wrong field inside an entry of each list, and a list without its full count.
    const breakages: Array<[string, (s: Json) => void]> = [
      ['pair success rate as text', (s) => (s.handoffs.pairs.items[0].success_rate = '50%')],
      ['unknown adherence', (s) => (s.handoffs.workflows.items[0].adherence = 'sideways')],
      ['hand-off chain entry without its time', (s) => delete s.handoffs.workflows.items.find((w: Json) => w.chain.length > 0).chain[0].at],
      ['transition gap count fractional', (s) => (s.gaps.pairs.items[0].count = 1.5)],
      ['workflow gap without its span', (s) => delete s.gaps.workflows.items[0].span_seconds],
      ['coordination share missing', (s) => delete s.gaps.coordination.coordination_pct],
      ['estimate ratio as text', (s) => (s.estimates.worst.items[0].ratio = '2.5')],
      ['project summary without its project', (s) => delete s.estimates.projects[0].project],
      ['overall median as text', (s) => (s.estimates.overall.median_ratio = 'n/a')],
      ['slow agent without its p90', (s) => delete s.bottlenecks.slow_agents.items[0].p90_seconds],
      ['slow transition from a number', (s) => (s.bottlenecks.slow_transitions.items[0].from_agent = 7)],
      ['failure share above 1', (s) => (s.bottlenecks.failure_enders.items[0].share = 2)],
      ['failure enders without count', (s) => delete s.bottlenecks.failure_enders.count],
      ['over-threshold list without its threshold', (s) => delete s.bottlenecks.over_threshold.threshold_pct],
      ['over-threshold entry without its workflow', (s) => delete s.bottlenecks.over_threshold.items[0].workflow_id],
      ['views as_of a number', (s) => (s.workflow_views_as_of = 0)],
    ];
    for (const [name, breakIt] of breakages) {
      const broken = copy(onDisk);
      breakIt(broken);
      expect(validate(broken), name).toBe(false);
    }
  });

  it('an empty directory gives a valid snapshot: empty lists, null medians', async () => {
    const dir = tempDir();
    dirs.track(dir);
    const daemon = await startDaemon({ dir });
    const snapshot: Json = await daemon.waitFor(() => true, 5000, 'a first snapshot');
    expect(snapshot.estimates.overall.median_ratio).toBeNull();
    for (const list of VIEW_LISTS) expect(at(snapshot, list), list).toMatchObject({ count: 0, items: [] });
    expectValid(snapshot);
    await daemon.stop();
  });
});
