import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOOK_ERRORS_FILE, logHookError } from '../../src/intake/claudeCode/hookErrorLog.js';
import { backgroundSession } from '../support/capturedHookSessions.js';
import { cliEnv, expectBuilt } from '../support/cliRunner.js';
import { CLI, daemonDirsPerTest, type DaemonProcess, ROOT, startDaemon, tempDir } from '../support/daemonHarness.js';

const dirs = daemonDirsPerTest();
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'config/snapshot.schema.json'), 'utf8')) as object);
beforeAll(expectBuilt);

/** The real built hook, its telemetry dir a file (so every append fails), its errors in the daemon's state dir. */
function failingHook(payload: unknown, unwritable: string, stateDir: string): void {
  const r = spawnSync(process.execPath, [CLI, 'hook', '--dir', unwritable, '--state-dir', stateDir], { input: JSON.stringify(payload), env: cliEnv(), encoding: 'utf8' });
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: '' });
}

/** Error lines the hooks wrote, in both generations. */
function linesWritten(stateDir: string): number {
  let n = 0;
  for (const name of [`${HOOK_ERRORS_FILE}.1`, HOOK_ERRORS_FILE]) {
    const file = path.join(stateDir, name);
    if (fs.existsSync(file)) n += fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  }
  return n;
}

async function metric(daemon: DaemonProcess, name: string): Promise<number> {
  const url = await daemon.httpUrl();
  const text = await (await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  expect(line, `${name} in /metrics`).toBeDefined();
  return Number(line!.split(' ')[1]);
}

const hookErrorsOf = (daemon: DaemonProcess) => daemon.last?.health.hook_errors;
const waitForCount = (daemon: DaemonProcess, count: number) =>
  daemon.waitFor((s) => s.health.hook_errors?.count === count, 10_000, `health.hook_errors.count ${count}`);

describe('the daemon reports the hook errors', () => {
  it('counts them in health and /metrics, across the rotation and a restart, once each, with one warn line per burst', async () => {
    const dir = dirs.track(tempDir());
    const stateDir = path.join(dir, '.oak-telemetry');
    const unwritable = path.join(dirs.track(tempDir('oak-hook-')), 'telemetry');
    fs.writeFileSync(unwritable, 'a file where the telemetry dir should be');
    const [, prompt, pre] = backgroundSession();

    // Errors from before the daemon's first start count (it has no checkpoint: everything is new).
    failingHook(prompt, unwritable, stateDir);
    const before = linesWritten(stateDir);
    expect(before).toBeGreaterThan(0);
    let daemon = await startDaemon({ dir, http: '127.0.0.1:0', pollIntervalMs: 200 });
    await waitForCount(daemon, before);
    expect(hookErrorsOf(daemon)?.last).toEqual({ at: expect.any(String), event: 'UserPromptSubmit', error: expect.stringContaining('cannot append') });
    expect(await metric(daemon, 'oak_hook_errors_total')).toBe(before);

    // Live: a hook fails while the daemon runs.
    failingHook(pre, unwritable, stateDir);
    await waitForCount(daemon, linesWritten(stateDir));

    // Past 256 KiB the hook's log becomes .1: lines written before and after it are all counted, none twice.
    const counted = linesWritten(stateDir);
    let written = 0;
    while (!fs.existsSync(path.join(stateDir, `${HOOK_ERRORS_FILE}.1`)) || written < 20) {
      logHookError(stateDir, { event: 'SubagentStop', sessionId: 's', error: `padding ${written} ${'x'.repeat(1900)}` });
      written++;
    }
    failingHook(pre, unwritable, stateDir);
    // One rotation: every line ever written is in the two generations.
    const afterRotation = linesWritten(stateDir);
    expect(afterRotation).toBeGreaterThan(counted + written);
    await waitForCount(daemon, afterRotation);
    expect(hookErrorsOf(daemon)?.last?.event).toBe('PreToolUse');
    expect(validate(daemon.last), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...daemon.last, health: { ...daemon.last!.health, hook_errors: { count: -1, last: null } } })).toBe(false);
    expect(await metric(daemon, 'oak_hook_errors_total')).toBe(afterRotation);
    await daemon.stop();
    // One warn line per burst, not per error: the burst lines add up to the count.
    const bursts = daemon.logsWith(/^Claude Code hook errors/);
    expect(bursts.length).toBeGreaterThan(0);
    expect(bursts.length).toBeLessThanOrEqual(3);
    expect(bursts.every((l) => l.level === 40)).toBe(true);
    expect(bursts.reduce((sum, l) => sum + Number(l.hook_errors), 0)).toBe(afterRotation);

    // A restart goes on from the checkpoint: nothing counted again, nothing lost, even once the
    // lines counted are gone (.1 dropped, as the next rotation does).
    fs.rmSync(path.join(stateDir, `${HOOK_ERRORS_FILE}.1`));
    const kept = linesWritten(stateDir);
    failingHook(prompt, unwritable, stateDir);
    daemon = await startDaemon({ dir, http: '127.0.0.1:0', pollIntervalMs: 200 });
    const expected = afterRotation + linesWritten(stateDir) - kept;
    expect(expected).toBeGreaterThan(afterRotation);
    // Counted again from the start, the count would jump past this in one look and never equal it.
    await waitForCount(daemon, expected);
    expect(await metric(daemon, 'oak_hook_errors_total')).toBe(expected);
    await daemon.stop();
  }, 60_000);

  it('a hook error log that cannot be read is a fault, which clears when it can be again', async () => {
    const dir = dirs.track(tempDir());
    const stateDir = path.join(dir, '.oak-telemetry');
    fs.mkdirSync(path.join(stateDir, HOOK_ERRORS_FILE), { recursive: true });
    const daemon = await startDaemon({ dir, pollIntervalMs: 200 });
    await daemon.waitFor((s) => (s.health.faults ?? []).some((f) => f.file === HOOK_ERRORS_FILE && f.op === 'read' && f.code === 'EISDIR'), 10_000, 'an EISDIR fault on hook-errors.jsonl');
    fs.rmdirSync(path.join(stateDir, HOOK_ERRORS_FILE));
    logHookError(stateDir, { event: 'Stop', sessionId: 's', error: 'after the fault' });
    const healed = await daemon.waitFor((s) => s.health.hook_errors?.count === 1 && !(s.health.faults ?? []).some((f) => f.file === HOOK_ERRORS_FILE), 10_000, 'the fault cleared and the line counted');
    expect(healed.health.hook_errors?.last).toMatchObject({ event: 'Stop', error: 'after the fault' });
    await daemon.stop();
  });
});
