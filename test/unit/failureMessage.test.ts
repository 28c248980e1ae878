/** The CLI's failure line: one line for every error; the stack only when asked for. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failureMessage } from '../../src/cli/failureMessage.js';
import { CommandFailed, UsageError } from '../../src/errors.js';
import { FileFault } from '../../src/io/regularFile.js';

function systemError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a system error');
}

describe('failureMessage', () => {
  it('says what we throw on purpose, with its exit code', () => {
    expect(failureMessage(new UsageError('--limit must be a number'), {})).toEqual({ text: 'oak-telemetry: --limit must be a number\n', exitCode: 2 });
    expect(failureMessage(new CommandFailed('3 bad lines\n\x1b[2J'), {})).toEqual({ text: 'oak-telemetry: 3 bad lines\\x0a\\x1b[2J\n', exitCode: 1 });
  });

  it('names the path and the problem of a system error', () => {
    const error = systemError(() => fs.readdirSync('/no/such/dir/here'));
    expect(failureMessage(error, {})).toEqual({ text: 'oak-telemetry: /no/such/dir/here: no such file or directory (ENOENT)\n', exitCode: 1 });
  });

  it('says a FileFault (a FIFO, a directory in place of a file) once, code included once', () => {
    const fault = new FileFault('/d/workflow_events.jsonl', 'open', 'ENOTREG', 'it is a FIFO (named pipe), not a regular file');
    expect(failureMessage(fault)).toEqual({
      text: 'oak-telemetry: cannot open /d/workflow_events.jsonl: it is a FIFO (named pipe), not a regular file (ENOTREG)\n',
      exitCode: 1,
    });
  });

  it('gives an unexpected error one line, and its stack only with OAK_TELEMETRY_DEBUG=1', () => {
    const bug = new TypeError('cannot read x\nof undefined');
    const plain = failureMessage(bug, {});
    expect(plain).toEqual({ text: 'oak-telemetry: unexpected error: TypeError: cannot read x\\x0aof undefined (OAK_TELEMETRY_DEBUG=1 prints the stack)\n', exitCode: 1 });
    const debug = failureMessage(bug, { OAK_TELEMETRY_DEBUG: '1' });
    expect(debug.exitCode).toBe(1);
    expect(debug.text).toContain(bug.stack);
    expect(failureMessage('a string', {}).text).toBe('oak-telemetry: unexpected error: a string (OAK_TELEMETRY_DEBUG=1 prints the stack)\n');
  });
});
