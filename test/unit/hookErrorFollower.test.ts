import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOOK_ERRORS_FILE, HOOK_ERRORS_MAX_BYTES, logHookError } from '../../src/intake/claudeCode/hookErrorLog.js';
import { HookErrorFollower } from '../../src/io/hookErrorFollower.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const temp = tempDirsPerFile();

/** One error line as the hook writes it, about `size` bytes long. */
const append = (stateDir: string, size: number, n: number) => logHookError(stateDir, { event: 'SubagentStop', sessionId: 's', error: `${n} ${'x'.repeat(size)}` });

describe('HookErrorFollower', () => {
  it('reads each complete line once: a partial one waits, lines written before a rotation are read from .1', () => {
    const stateDir = temp.make();
    const follower = new HookErrorFollower(stateDir);
    expect(follower.read()).toEqual([]);
    for (let i = 0; i < 3; i++) append(stateDir, 10, i);
    fs.appendFileSync(path.join(stateDir, HOOK_ERRORS_FILE), '{"at":"2026');
    expect(follower.read()).toHaveLength(3);
    fs.appendFileSync(path.join(stateDir, HOOK_ERRORS_FILE), '-12-03","error":"torn"}\n');
    expect(follower.read()).toEqual(['{"at":"2026-12-03","error":"torn"}']);
    // Lines the follower has not seen, then the rotation, then more: all read, in order, once.
    let n = 0;
    while (!fs.existsSync(path.join(stateDir, `${HOOK_ERRORS_FILE}.1`))) append(stateDir, 1900, n++);
    append(stateDir, 10, n++);
    const got = follower.read();
    expect(got).toHaveLength(n);
    expect(got.map((l) => Number((JSON.parse(l) as { error: string }).error.split(' ')[0]))).toEqual([...Array(n).keys()]);
    expect(follower.read()).toEqual([]);
  });

  it('goes on from a saved position (nothing again); without one, every line present is new', () => {
    const stateDir = temp.make();
    const first = new HookErrorFollower(stateDir);
    for (let i = 0; i < 4; i++) append(stateDir, 10, i);
    expect(first.read()).toHaveLength(4);
    append(stateDir, 10, 4);
    const resumed = new HookErrorFollower(stateDir);
    resumed.startAt(first.position());
    expect(resumed.read()).toHaveLength(1);
    expect(new HookErrorFollower(stateDir).read()).toHaveLength(5);
  });

  it('property: with at most one rotation between looks, and restarts from saved positions, the lines read add up to the lines written', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), lines: fc.integer({ min: 1, max: 60 }), size: fc.integer({ min: 10, max: 1900 }) }),
      fc.constant({ kind: 'look' as const }),
      fc.constant({ kind: 'restart' as const }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const stateDir = temp.make();
        let follower = new HookErrorFollower(stateDir);
        let written = 0;
        let read = 0;
        let sinceLook = 0;
        const look = () => {
          read += follower.read().length;
          sinceLook = 0;
        };
        for (const s of steps) {
          if (s.kind === 'look') look();
          else if (s.kind === 'restart') {
            const saved = follower.position();
            follower = new HookErrorFollower(stateDir);
            follower.startAt(saved);
          } else {
            for (let i = 0; i < s.lines; i++) {
              // Two rotations between looks drop a whole file unread: the hook's bound, not the follower's.
              if (sinceLook + s.size > HOOK_ERRORS_MAX_BYTES * 0.9) look();
              append(stateDir, s.size, written++);
              sinceLook += s.size;
            }
          }
        }
        look();
        expect(read).toBe(written);
      }),
      { numRuns: 40 },
    );
  });
});
