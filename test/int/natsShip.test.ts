/**
 * Shipping to a real nats-server (JetStream) and answering from the stream: with one host the
 * stream's answers equal a replay of the files; re-shipping after lost offsets stores nothing
 * twice; bad lines stay at the edge.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { appendLine } from '../../src/io/appendOnlyWriter.js';
import { cleanupsPerTest } from '../support/cleanups.js';
import { CLI, fixtureDir } from '../support/daemonHarness.js';
import { NatsServer, streamMessages } from '../support/natsServer.js';
import { Workload } from '../support/telemetryWorkload.js';

const run = promisify(execFile);
const NOW = '2026-11-20T00:00:00Z';
const cleanup = cleanupsPerTest();

async function server(): Promise<NatsServer> {
  const nats = await NatsServer.start();
  cleanup(() => nats.stop());
  return nats;
}

function dir(): string {
  const d = fixtureDir();
  cleanup(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function ship(d: string, url: string, host = 'host-a'): Promise<void> {
  await run(process.execPath, [CLI, 'ship', '--once', '--dir', d, '--nats', url, '--host', host]);
}

async function answers(args: readonly string[]): Promise<string[]> {
  const ask = async (command: readonly string[]) => (await run(process.execPath, [CLI, ...command, '--json', ...args])).stdout;
  return Promise.all([
    ask(['stats']),
    ask(['workflows']),
    ask(['overhead']),
    ask(['best-agent', '--task', 'write tests for the payment api', '--all', '--min-confidence', '0.1', '--now', NOW]),
    ask(['gaps', '--limit', '5']),
    ask(['handoffs', '--limit', '5']),
  ]);
}

function lineCount(d: string): number {
  return ['agent_invocations.jsonl', 'success_metrics.jsonl', 'workflow_events.jsonl']
    .map((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').filter((l) => l.trim() !== '').length)
    .reduce((a, b) => a + b, 0);
}

describe('ship -> JetStream -> answers', () => {
  it('one host: the stream answers exactly as a replay of its files', async () => {
    const nats = await server();
    const d = dir();
    await ship(d, nats.url);
    expect(await streamMessages(nats.url)).toBe(lineCount(d));
    expect(await answers(['--nats', nats.url])).toEqual(await answers(['--dir', d, '--source', 'replay']));
  });

  it('lost offsets re-publish, and the duplicate window stores nothing twice; later lines are shipped once', async () => {
    const nats = await server();
    const d = dir();
    await ship(d, nats.url);
    const stored = await streamMessages(nats.url);
    // a shipper that crashed before recording its offsets ships everything again
    for (const file of fs.readdirSync(path.join(d, '.oak-telemetry'))) if (file.startsWith('ship-')) fs.rmSync(path.join(d, '.oak-telemetry', file));
    await ship(d, nats.url);
    expect(await streamMessages(nats.url)).toBe(stored);
    // new lines, and a bad one that stays at the edge
    new Workload(d, 'later').workflows(3);
    appendLine(path.join(d, 'success_metrics.jsonl'), '{not json');
    await ship(d, nats.url);
    expect(await streamMessages(nats.url)).toBe(lineCount(d) - 1);
    const rejected = fs.readFileSync(path.join(d, '.oak-telemetry', 'rejected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; raw: string; reason: string });
    expect(rejected).toEqual([expect.objectContaining({ file: 'success_metrics.jsonl', raw: '{not json', reason: expect.stringMatching(/^not JSON/) })]);
    expect(await answers(['--nats', nats.url])).toEqual(await answers(['--dir', d, '--source', 'replay']));
  });

  it('ship --once fails clearly when NATS is not there, and records nothing', async () => {
    const d = dir();
    const failed = await run(process.execPath, [CLI, 'ship', '--once', '--dir', d, '--nats', 'nats://127.0.0.1:1']).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).not.toBe(0);
    expect((failed as { stderr: string }).stderr).toMatch(/shipping to nats:\/\/127\.0\.0\.1:1 failed/);
    expect(fs.readdirSync(path.join(d, '.oak-telemetry')).filter((f) => f.startsWith('ship-'))).toEqual([]);
  });
});
