import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const temp = tempDirsPerTest();
let work: string;
let dir: string;
beforeEach(() => {
  work = temp.make('oak-logcli-');
  dir = path.join(work, 'telemetry');
});

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: work, env });

function lines(file: string): Record<string, any>[] {
  return fs.readFileSync(path.join(dir, file), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}
const exists = (file: string) => fs.existsSync(path.join(dir, file));

describe('oak-telemetry log', () => {
  it('logs an invocation (printing only its UUID) and appends its update', () => {
    const env = { OAK_SESSION_ID: 'sess-e2e' };
    const inv = run(['log', 'invocation', '--dir', dir, '--agent', 'coder', '--agent-type', 'development', '--task', 'Build it', '--task-type', 'feature', '--workflow-id', 'wf-1'], env);
    expect(inv.code).toBe(0);
    expect(inv.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    const id = inv.stdout.trim();
    expect(id).toMatch(UUID);
    const before = fs.readFileSync(path.join(dir, 'agent_invocations.jsonl'), 'utf8');

    const upd = run(['log', 'update', '--dir', dir, '--invocation-id', id, '--duration', '12.5', '--status', 'failure', '--error', 'boom']);
    expect(upd.code).toBe(0);
    expect(upd.stdout).toBe('');

    expect(fs.readFileSync(path.join(dir, 'agent_invocations.jsonl'), 'utf8').startsWith(before)).toBe(true);
    const [first, second, ...rest] = lines('agent_invocations.jsonl');
    expect(rest).toHaveLength(0);
    expect(first).toMatchObject({
      invocation_id: id, session_id: 'sess-e2e', agent_name: 'coder', agent_type: 'development', task_description: 'Build it',
      workflow_id: 'wf-1', state_features: { task: { type: 'feature' } }, duration_seconds: null, outcome: { status: 'unknown' },
    });
    expect(second).toMatchObject({ ...first, duration_seconds: 12.5, outcome: { ...first!.outcome, status: 'failure', error_message: 'boom' } });
  });

  it('fails with exit 1 for an unknown invocation id and writes nothing', () => {
    const r = run(['log', 'update', '--dir', dir, '--invocation-id', 'no-such-id', '--duration', '1', '--status', 'success']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no-such-id');
    expect(exists('agent_invocations.jsonl')).toBe(false);
  });

  it('records a metric, and rejects a bad rating or success flag with exit 2, writing nothing', () => {
    for (const bad of [['--success', 'true', '--quality', '6'], ['--success', 'true', '--quality', '2.5'], ['--success', 'maybe', '--quality', '3']]) {
      const r = run(['log', 'metric', '--dir', dir, '--invocation-id', 'inv-1', ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/--quality|--success/);
      expect(exists('success_metrics.jsonl')).toBe(false);
    }
    const ok = run(['log', 'metric', '--dir', dir, '--invocation-id', 'inv-1', '--success', 'false', '--quality', '2']);
    expect(ok.code).toBe(0);
    expect(lines('success_metrics.jsonl')).toEqual([expect.objectContaining({ invocation_id: 'inv-1', success: false, quality_rating: 2, feedback_source: 'human' })]);
  });

  it('exits 2 when a required flag is missing, writing nothing', () => {
    const r = run(['log', 'invocation', '--dir', dir, '--agent-type', 'dev', '--task', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--agent');
    expect(r.stdout).toBe('');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('logs a whole workflow; the workflow id may come from OAK_WORKFLOW_ID', () => {
    const start = run(['log', 'workflow-start', '--dir', dir, '--workflow-id', 'wf-7', '--project', 'Ünï ✓', '--plan', 'a,b', '--estimated-duration', '600']);
    expect(start).toMatchObject({ code: 0, stdout: 'wf-7\n' });
    expect(run(['log', 'handoff', '--dir', dir, '--from', 'a', '--to', 'b', '--artifacts', 'x.md,y.md'], { OAK_WORKFLOW_ID: 'wf-7' }).code).toBe(0);
    expect(run(['log', 'workflow-complete', '--dir', dir, '--workflow-id', 'wf-7', '--duration', '500', '--success', 'true', '--agents', 'a,b']).code).toBe(0);
    const events = lines('workflow_events.jsonl');
    expect(events.map((e) => e.event)).toEqual(['workflow_start', 'agent_handoff', 'workflow_complete']);
    expect(events.every((e) => e.workflow_id === 'wf-7')).toBe(true);
    expect(events[0]).toMatchObject({ project_name: 'Ünï ✓', agent_plan: ['a', 'b'], estimated_duration: 600 });
    expect(events[1]).toMatchObject({ from_agent: 'a', to_agent: 'b', artifacts: ['x.md', 'y.md'] });
    expect(events[2]).toMatchObject({ duration_seconds: 500, success: true, agents_executed: ['a', 'b'] });
    expect(fs.readFileSync(path.join(dir, 'workflow_events.jsonl'), 'utf8')).toContain('"\\u00dcn\\u00ef \\u2713"');
  });

  it('exits 2 for a handoff without any workflow id', () => {
    const r = run(['log', 'handoff', '--dir', dir, '--from', 'a', '--to', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/workflow id/);
    expect(exists('workflow_events.jsonl')).toBe(false);
  });

  it('writes to $OAK_TELEMETRY_DIR when --dir is not given', () => {
    const wf = run(['log', 'workflow-start', '--project', 'p', '--plan', 'a'], { OAK_TELEMETRY_DIR: dir });
    expect(wf.code).toBe(0);
    expect(wf.stdout.trim()).toMatch(/^wf-[0-9a-f-]{36}$/);
    expect(lines('workflow_events.jsonl')[0]).toMatchObject({ workflow_id: wf.stdout.trim(), estimated_duration: null });
  });
});
