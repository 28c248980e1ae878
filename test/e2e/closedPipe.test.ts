import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, expectBuilt, runCli } from '../support/cliRunner.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const dirs = tempDirsPerTest();

/** `oak-telemetry export invocations | head -1`: the reader leaves after the first chunk. */
async function readOneChunkThenClose(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  await once(child.stdout, 'data');
  child.stdout.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('a command whose reader went away (| head)', () => {
  it('stops quietly with 0 instead of an EPIPE stack trace', async () => {
    expectBuilt();
    const dir = dirs.make('closed-pipe-');
    expect(runCli(['generate', '--out', dir, '--workflows', '400', '--seed', '3', '--now', '2026-11-01T00:00:00Z']).code).toBe(0);
    const run = await readOneChunkThenClose(['export', 'invocations', '--dir', dir, '--source', 'replay']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
