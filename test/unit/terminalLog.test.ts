import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TerminalLogFormat } from '../../src/terminalLog.js';

const line = (entry: object): string => JSON.stringify({ level: 30, time: 1796303757054, pid: 1, name: 'oak-telemetry', ...entry }) + '\n';

/** A daemon's start-up as it logs it (JSON lines, as captured from a real run), with an alert holding three open workflows. */
const START = [
  line({ reason: 'no checkpoint', msg: 'starting from the beginning of the files' }),
  line({ url: 'http://127.0.0.1:7467/', host: '127.0.0.1', port: 7467, token: 'none', msg: 'http listening' }),
  line({ events_applied: 995, lines_rejected: 2, ms: 126, msg: 'caught up' }),
  line({
    level: 40,
    alert: 'open_workflow_too_long',
    key: 'open_workflow_too_long',
    max_age_hours: 4,
    count: 3,
    oldest: [
      { workflow_id: 'wf-2-0000043', age_seconds: 4245639, running_agent: 'qa-specialist' },
      { workflow_id: 'wf-2-0000047', age_seconds: 4232113, running_agent: 'security-auditor' },
      { workflow_id: 'wf-2-0000098', age_seconds: 2857597, running_agent: 'systems-architect' },
    ],
    start_up: true,
    msg: 'alert: open_workflow_too_long',
  }),
  line({ dir: '/srv/agents/telemetry', state_dir: '/srv/agents/telemetry/.oak-telemetry', msg: 'daemon ready: following telemetry' }),
];

function render(lines: readonly string[], width = 80): string[] {
  const format = new TerminalLogFormat({ width: () => width, color: false });
  return lines.map((l) => format.format(l)).join('').split('\n').slice(0, -1);
}

describe('TerminalLogFormat', () => {
  it('start-up: a line per step, the alert on one line, then a short block ending the screen with the dashboard and counts', () => {
    const out = render(START, 120);
    expect(out.length).toBeLessThanOrEqual(9);
    expect(out[1]).toMatch(/^\d\d:\d\d:\d\d ALERT alert: open_workflow_too_long  max_age_hours=4 count=3 oldest=\[wf-2-0000043 \+2\]/);
    expect(out.slice(2)).toEqual([
      'oak-telemetry daemon ready',
      '  dashboard  http://127.0.0.1:7467/   (API under /api/v1/, Prometheus /metrics)',
      '  following  /srv/agents/telemetry',
      '  state      /srv/agents/telemetry/.oak-telemetry',
      '  read       995 events, 2 bad lines (oak-telemetry validate lists them), in 126 ms',
      '  Ctrl-C stops it; from here on, one line per event.',
    ]);
  });

  it('an error shows its message, not its stack', () => {
    const [out] = render([line({ level: 50, err: { type: 'Error', message: 'EACCES: permission denied', stack: 'Error: EACCES\n    at x' }, msg: 'rebuild failed' })]);
    expect(out).toMatch(/ERROR rebuild failed  err="EACCES: permission denied"$/);
  });

  it('a terminal escape in a logged value is shown, not obeyed', () => {
    const [out] = render([line({ level: 40, file: 'agent_invocations.jsonl', reason: 'agent \x1b]0;pwned\x07', msg: 'line rejected' })], 120);
    expect(out).not.toMatch(/[\x00-\x1f]/);
    expect(out).toContain('\\x1b]0;pwned\\x07');
  });

  it('every line fits the width, whatever the entry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 200 }), fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (width, fields, msg) => {
        for (const text of render([line({ ...fields, msg })], width)) expect(text.length).toBeLessThanOrEqual(width);
      }),
    );
  });
});
