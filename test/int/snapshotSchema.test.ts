import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureDir, killAllDaemons, ROOT, startDaemon, waitForReplayParity } from '../support/daemonHarness.js';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/snapshot.schema.json'), 'utf8')) as object;
const dirs: string[] = [];

afterEach(async () => {
  await killAllDaemons();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('snapshot.json', () => {
  it('follows config/snapshot.schema.json, and the schema rejects a snapshot missing a section', async () => {
    const dir = fixtureDir();
    dirs.push(dir);
    const daemon = await startDaemon({ dir });
    const { snapshot } = await waitForReplayParity(daemon);
    // The fixture has workflows open for weeks: an alert is active, so that part is checked too.
    expect(snapshot.alerts.active.map((a) => a.alert)).toContain('open_workflow_too_long');

    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, '.oak-telemetry', 'snapshot.json'), 'utf8')) as Record<string, unknown>;
    expect(validate(onDisk), JSON.stringify(validate.errors)).toBe(true);

    const { health: _health, ...withoutHealth } = onDisk;
    expect(validate(withoutHealth)).toBe(false);
    expect(validate({ ...onDisk, sources: { ...(onDisk.sources as object), invocations: { size: -1 } } })).toBe(false);
    await daemon.stop();
  });
});
