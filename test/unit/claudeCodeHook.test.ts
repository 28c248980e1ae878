import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/decode/decodeLine.js';
import { decodeHookPayload, type HookPayload } from '../../src/intake/claudeCode/hookPayload.js';
import type { KeyedRecord } from '../../src/intake/claudeCode/hookRecords.js';
import { initialSessionState, type SessionState, sessionStateFromJson, sessionStateToJson } from '../../src/intake/claudeCode/sessionState.js';
import { ENDED_WITH_SESSION, markWritten, translateHook } from '../../src/intake/claudeCode/translateHook.js';
import { toPythonJson } from '../../src/logger/pythonJson.js';
import { backgroundSession, failingSession, foregroundSession, nestedSession } from '../support/capturedHookSessions.js';

const T0 = Date.parse('2026-05-01T10:00:00Z') * 1000;

function decode(raw: Record<string, unknown>): HookPayload | null {
  const d = decodeHookPayload(JSON.stringify(raw));
  if (d.type === 'rejected') throw new Error(d.reason);
  return d.type === 'payload' ? d.payload : null;
}

interface Run {
  records: Record<string, unknown>[];
  /** After each payload: was the session's state done? */
  done: boolean[];
}

/** Feeds payloads one second apart through one state (as the store would, across its save/load). */
function run(raws: Record<string, unknown>[], options: { sameTime?: boolean; category?: string | null } = {}): Run {
  let state: SessionState | null = null;
  const records: Record<string, unknown>[] = [];
  const done: boolean[] = [];
  raws.forEach((raw, i) => {
    const p = decode(raw);
    if (p === null) return done.push(false);
    state = sessionStateFromJson(sessionStateToJson(state ?? initialSessionState(p.sessionId)))!;
    const t = translateHook(state, p, { nowUs: options.sameTime ? T0 : T0 + i * 1_000_000, projectName: 'shop', category: options.category ?? null });
    for (const r of t.records as KeyedRecord[]) {
      // Every record is one the readers accept.
      expect(decodeText(r.file, toPythonJson(r.record)).type).not.toBe('rejected');
      markWritten(state.emitted, r);
      records.push({ file: r.file, ...r.record });
    }
    done.push(t.done);
  });
  return { records, done };
}

const of = (records: Record<string, unknown>[], event: string) => records.filter((r) => r.event === event);
const invocations = (records: Record<string, unknown>[]) => records.filter((r) => r.file === 'invocations');
/** Later records with the same invocation id (or complete of a workflow) replace earlier ones. */
function final(records: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of records) {
    let key = r.file === 'invocations' ? `inv:${String(r.invocation_id)}` : `${String(r.event)}:${String(r.workflow_id)}`;
    // Hand-offs are counted, not replaced: each one its own entry.
    if (r.event === 'agent_handoff') for (let n = 0; out.has((key = `h:${String(r.from_agent)}->${String(r.to_agent)}#${n}`)); n++);
    out.set(key, r);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('Claude Code hook translation (captured payloads)', () => {
  it('a background subagent: start record at launch, outcome at its end, the workflow completes after the notification turn', () => {
    const { records, done } = run(backgroundSession());
    const inv = invocations(records);
    expect(inv.map((r) => (r.outcome as { status: string }).status)).toEqual(['unknown', 'success']);
    expect(inv[1]).toMatchObject({
      invocation_id: 'ad6f538733c704279',
      agent_name: 'backend-architect',
      agent_type: 'subagent',
      task_description: 'Design login API: Design the login API endpoints and report back.',
      workflow_id: 'wf-c4d6f2eb-3b7c-495d-b79c-a021ed2d528e',
      session_id: 'b8489706-cbb6-4207-9b8f-88b6dde51657',
      timestamp: '2026-05-01T10:00:03.000000Z',
      duration_seconds: 5,
    });
    // One workflow: the task notification prompt continues it.
    expect(of(records, 'workflow_start')).toHaveLength(1);
    expect(of(records, 'workflow_start')[0]).toMatchObject({ project_name: 'shop', timestamp: '2026-05-01T10:00:01.000000Z' });
    expect(of(records, 'agent_handoff').map((r) => [r.from_agent, r.to_agent])).toEqual([['main', 'backend-architect']]);
    const complete = of(records, 'workflow_complete');
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ success: true, agents_executed: ['backend-architect'], duration_seconds: 9 });
    // Not complete at the first Stop (the subagent runs on), nor at its end (the main agent wakes up for it).
    expect(done).toEqual([false, false, false, false, false, false, false, false, false, false, true, true]);
  });

  it('a foreground subagent takes its duration from the Agent tool (totalDurationMs)', () => {
    const { records, done } = run(foregroundSession(), { category: 'development' });
    const last = invocations(records).at(-1)!;
    expect(last).toMatchObject({ invocation_id: 'a1f95210a081c7df3', agent_type: 'development', duration_seconds: 0.287 });
    expect((last.outcome as { status: string }).status).toBe('success');
    expect(of(records, 'workflow_complete')[0]).toMatchObject({ success: true, agents_executed: ['backend-architect'] });
    expect(done.at(-2)).toBe(true);
  });

  it('a failing subagent: failure with the Agent tool error, and the workflow fails', () => {
    const { records } = run(failingSession());
    const last = invocations(records).at(-1)!;
    expect(last.invocation_id).toBe('a7995a281985c215b');
    expect(last.outcome).toMatchObject({ status: 'failure', error_message: expect.stringContaining('Agent terminated early due to an API error') });
    expect(last.task_description).toBe('Design login API: Design the login API endpoints and report back.');
    expect(of(records, 'workflow_complete')[0]).toMatchObject({ success: false, agents_executed: ['backend-architect'] });
  });

  it('nested delegation: a hand-off from the delegating subagent, and it is the parent invocation', () => {
    const { records } = run(nestedSession());
    expect(of(records, 'agent_handoff').map((r) => [r.from_agent, r.to_agent])).toEqual([
      ['main', 'backend-architect'],
      ['backend-architect', 'frontend-dev'],
    ]);
    const inner = invocations(records).filter((r) => r.invocation_id === 'a-inner').at(-1)!;
    expect(inner.parent_invocation_id).toBe('a-outer');
    expect(of(records, 'workflow_complete')[0]).toMatchObject({ agents_executed: ['backend-architect', 'frontend-dev'], success: true });
  });

  it('SessionEnd closes what is still open: a running subagent fails with a reason', () => {
    const raws = backgroundSession();
    const cut = [...raws.slice(0, 8), raws.at(-1)!]; // the session ends while the subagent runs
    const { records } = run(cut);
    expect(invocations(records).at(-1)!.outcome).toMatchObject({ status: 'failure', error_message: ENDED_WITH_SESSION });
    expect(of(records, 'workflow_complete')[0]).toMatchObject({ success: false });
  });

  it('two user prompts are two workflows', () => {
    const fg = foregroundSession();
    const second: Array<Record<string, unknown>> = fg.slice(0, 6).map((r) => ({ ...r, prompt_id: 'second-prompt', ...(r.agent_id ? { agent_id: 'a-second' } : {}) }));
    const withTool = second.map((r) => (r.tool_use_id ? { ...r, tool_use_id: 'toolu_second', tool_response: { ...(r.tool_response as object), agentId: 'a-second' } } : r));
    const { records } = run([...fg.slice(0, 6), ...withTool]);
    expect(of(records, 'workflow_start')).toHaveLength(2);
    expect(of(records, 'workflow_complete')).toHaveLength(2);
    expect(new Set(invocations(records).map((r) => r.workflow_id)).size).toBe(2);
  });

  it('unknown, garbled and foreign payloads are typed rejections or ignored, never a throw', () => {
    expect(decodeHookPayload('not json').type).toBe('rejected');
    expect(decodeHookPayload('[1]').type).toBe('rejected');
    expect(decodeHookPayload('{"hook_event_name":"Stop"}').type).toBe('rejected');
    expect(decodeHookPayload('{"hook_event_name":"Stop","session_id":"../../etc"}').type).toBe('rejected');
    expect(decodeHookPayload('{"hook_event_name":"Notification","session_id":"s"}').type).toBe('ignored');
    expect(decodeHookPayload('{"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Bash","tool_use_id":"t"}').type).toBe('ignored');
    // The older name of the Agent tool.
    expect(decodeHookPayload('{"hook_event_name":"PreToolUse","session_id":"s","tool_name":"Task","tool_use_id":"t","tool_input":{}}').type).toBe('payload');
    fc.assert(fc.property(fc.jsonValue(), (v) => void decodeHookPayload(JSON.stringify(v))));
  });

  it('any order of the same payloads ends in the same records, after replacement', () => {
    for (const session of [backgroundSession(), failingSession(), nestedSession()]) {
      const body = session.filter((r) => r.hook_event_name !== 'SessionEnd');
      const inOrder = final(run(body, { sameTime: true }).records);
      fc.assert(
        fc.property(fc.shuffledSubarray(body, { minLength: body.length }), (shuffled) => {
          expect(final(run(shuffled, { sameTime: true }).records)).toEqual(inOrder);
        }),
        { numRuns: 200 },
      );
    }
  });
});
