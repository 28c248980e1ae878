/**
 * `oak-telemetry mcp` as a process, fed raw lines: what a broken or hostile client sends gets
 * its JSON-RPC 2.0 error, one warning on stderr, and the server goes on answering.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CLI, fixtureDir } from '../support/daemonHarness.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

type Response = { jsonrpc: string; id: string | number | null; result?: unknown; error?: { code: number; message: string } };

const children: ChildProcessWithoutNullStreams[] = [];
const dirs = tempDirsPerTest(() => {
  for (const child of children.splice(0)) child.kill();
});

/** The server, with its stdout read as one JSON response per line, in order. */
function startServer(dir: string) {
  const child = spawn(process.execPath, [CLI, 'mcp', '--dir', dir], { stdio: 'pipe' });
  children.push(child);
  const responses: Response[] = [];
  const waiting: Array<(r: Response) => void> = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const response = JSON.parse(line) as Response;
    const waiter = waiting.shift();
    if (waiter) waiter(response);
    else responses.push(response);
  });
  const logs: Array<Record<string, unknown>> = [];
  readline.createInterface({ input: child.stderr }).on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  const next = () => new Promise<Response>((resolve) => (responses.length > 0 ? resolve(responses.shift()!) : waiting.push(resolve)));
  /** Writes one raw line and waits for the answer to it. */
  const ask = async (line: string): Promise<Response> => {
    child.stdin.write(line + '\n');
    return next();
  };
  /** Writes a line that has no answer (a notification). */
  const tell = (line: string): void => void child.stdin.write(line + '\n');
  return { ask, tell, logs, exitedWith: () => exited };
}

const request = (id: number, method: string, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

describe('oak-telemetry mcp on raw input', () => {
  it('answers garbage, an oversized line and bad params per JSON-RPC, logs each, and keeps serving', async () => {
    const dir = fixtureDir();
    dirs.track(dir);
    const server = startServer(dir);
    const init = await server.ask(request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } }));
    expect(init.id).toBe(1);
    server.tell(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

    expect(await server.ask('this is not json')).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(await server.ask('[]')).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await server.ask('{"jsonrpc":"2.0","id":7}')).toMatchObject({ id: 7, error: { code: -32600 } });

    // Over the SDK's own 10 MiB buffer, which used to end the process with exit 0.
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'best_agent', arguments: { task: 'x'.repeat(11 * 1024 * 1024) } } });
    const oversized = await server.ask(huge);
    expect(oversized).toMatchObject({ id: null, error: { code: -32600 } });
    expect(oversized.error?.message).toMatch(/longer than \d+ bytes/);

    const nullArguments = await server.ask(request(9, 'tools/call', { name: 'agent_stats', arguments: null }));
    expect(nullArguments).toMatchObject({ id: 9, error: { code: -32602 } });
    expect(nullArguments.error?.message).toBe('Invalid params: params.arguments: Invalid input: expected record, received null');

    const still = await server.ask(request(10, 'tools/call', { name: 'open_workflows', arguments: {} }));
    expect(still.id).toBe(10);
    expect(still.error).toBeUndefined();
    expect(JSON.parse((still.result as { content: Array<{ text: string }> }).content[0]!.text)).toEqual(expect.any(Array));
    expect(server.exitedWith()).toBeNull();

    const refusals = server.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('mcp: refused a message'));
    expect(refusals.map((l) => l.code)).toEqual([-32700, -32600, -32600, -32600, -32602]);
  }, 30_000);
});
