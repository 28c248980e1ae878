/**
 * The reference logger's update_invocation, run by python3 exactly as it does it (json.loads
 * every line, change one record, truncate, write all back with json.dumps(record) + "\n"),
 * against the real daemon: the change is applied as a change (no rebuild) and the snapshot
 * equals a batch replay. Once more with every record reformatted (sorted keys, no spaces):
 * still no rebuild. Then a rewrite that removes a record: a rebuild, and still the replay.
 * After a restart (whose catch-up leaves the lines appended while it was down unhashed), a
 * rewrite of a record from before the checkpoint and of one appended while down: still changes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonDirsPerTest, fixtureDir, startDaemon, waitForReplayParity } from '../support/daemonHarness.js';
import { Workload } from '../support/telemetryWorkload.js';

const dirs = daemonDirsPerTest();

/** update_invocation as the reference writes it; `dumps` is the json.dumps call used for every record. */
const UPDATE = `
import json, sys
path, target, dumps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path) as f:
    records = [json.loads(line) for line in f if line.strip()]
if target >= 0:
    r = records[target]
    r["duration_seconds"] = 4321.5
    r["outcome"]["status"] = "failure" if r["outcome"].get("status") != "failure" else "success"
    r["outcome"]["error_message"] = "changed by update_invocation"
else:
    del records[-target]
with open(path, "w") as f:
    for r in records:
        f.write((json.dumps(r, sort_keys=True, indent=None, separators=(",", ":")) if dumps == "compact" else json.dumps(r)) + "\\n")
`;

function updateInvocation(dir: string, target: number, dumps: 'reference' | 'compact'): void {
  execFileSync('python3', ['-c', UPDATE, path.join(dir, 'agent_invocations.jsonl'), String(target), dumps]);
}

describe('daemon: a rewrite of the invocations file applied as changes', () => {
  it("python's update_invocation, as written and reformatted: no rebuild, snapshot == replay", async () => {
    const dir = dirs.track(fixtureDir());
    const daemon = await startDaemon({ dir });
    await waitForReplayParity(daemon);

    updateInvocation(dir, 5, 'reference');
    const { snapshot: first } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 1 });
    expect(first.health.rebuilds).toBe(0);

    updateInvocation(dir, 40, 'compact');
    const { snapshot: second } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 2 });
    expect(second.health.rebuilds).toBe(0);

    // Back to the reference's format, changing another record: lines unchanged since are not decoded.
    updateInvocation(dir, 60, 'reference');
    const { snapshot: third } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 3 });
    expect(third.health.rebuilds).toBe(0);
    updateInvocation(dir, 61, 'reference');
    await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 4 });
    // The log comes through a pipe, the snapshot through a file: the fourth line may trail it.
    await daemon.waitForLog((l) => /applied as changes/.test(String(l.msg)) && l.rewrites_as_changes === 4);
    const logs = daemon.logsWith(/applied as changes, no rebuild/);
    expect(logs.map((l) => l.records_changed)).toEqual([1, 1, 1, 1]);
    // The last one decoded the changed line and the few that a later line of the same id overrides, not the file.
    const lineCount = fs.readFileSync(path.join(dir, 'agent_invocations.jsonl'), 'utf8').split('\n').length - 1;
    expect(logs[3]?.lines_decoded).toBeGreaterThanOrEqual(1);
    expect(logs[3]?.lines_decoded).toBeLessThan(lineCount / 10);

    // A removed record cannot be a change: rebuilt, and still the replay.
    updateInvocation(dir, -3, 'reference');
    const { snapshot: removed } = await waitForReplayParity(daemon, { extra: (s) => s.health.rebuilds >= 1 });
    expect(removed.health.rewrites_as_changes).toBe(4);
    await daemon.waitForLog((l) => /rebuilding from the files/.test(String(l.msg)));
    expect(daemon.logsWith(/rebuilding from the files/).at(-1)?.why).toMatch(/not applied as changes: invocations in another order/);
    await daemon.stop();
  });

  it('after a restart that caught up on appends, rewrites of records from before the checkpoint and from the appends: no rebuild, snapshot == replay', async () => {
    const dir = dirs.track(fixtureDir());
    const first = await startDaemon({ dir });
    await waitForReplayParity(first);
    await first.stop();
    const before = fs.readFileSync(path.join(dir, 'agent_invocations.jsonl'), 'utf8').split('\n').length - 1;
    new Workload(dir, 'down').workflows(5);
    const after = fs.readFileSync(path.join(dir, 'agent_invocations.jsonl'), 'utf8').split('\n').length - 1;
    expect(after).toBeGreaterThan(before + 5);

    const daemon = await startDaemon({ dir });
    expect(daemon.logsWith('resuming from checkpoint')).toHaveLength(1);
    await waitForReplayParity(daemon);
    // The last record appended while the daemon was down (read by the restart's catch-up; a
    // last line is its invocation's last record, so the change shows).
    updateInvocation(dir, after - 1, 'reference');
    const { snapshot: appended } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 1 });
    expect(appended.health.rebuilds).toBe(0);
    // One from before the checkpoint, then the appended one again: the first rewrite noted every line.
    updateInvocation(dir, 7, 'reference');
    await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 2 });
    updateInvocation(dir, after - 1, 'reference');
    const { snapshot: last } = await waitForReplayParity(daemon, { extra: (s) => (s.health.rewrites_as_changes ?? 0) >= 3 });
    expect(last.health.rebuilds).toBe(0);
    await daemon.waitForLog((l) => /applied as changes/.test(String(l.msg)) && l.rewrites_as_changes === 3);
    expect(daemon.logsWith(/applied as changes, no rebuild/).map((l) => l.records_changed)).toEqual([1, 1, 1]);
    await daemon.stop();
  });
});
