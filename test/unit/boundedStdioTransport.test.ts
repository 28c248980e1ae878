/** The MCP line reader: messages split anywhere across chunks, a line over the limit refused as it arrives. */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BoundedStdioTransport } from '../../src/mcp/boundedStdioTransport.js';

function setUp(limit: number) {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new BoundedStdioTransport(input, output, pino({ level: 'silent' }), limit);
  const received: unknown[] = [];
  const sent: unknown[] = [];
  transport.onmessage = (m) => received.push(m);
  output.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') sent.push(JSON.parse(line));
  });
  return { input, transport, received, sent };
}

const ping = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });

describe('BoundedStdioTransport', () => {
  it('reads the same messages however the bytes are cut, CRLF included', async () => {
    const text = `${ping(1)}\r\n\n${ping(2)}\n${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping', params: { note: 'é\u2028' } })}\n`;
    const bytes = Buffer.from(text, 'utf8');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const { input, transport, received, sent } = setUp(1024);
        await transport.start();
        let from = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
          input.write(bytes.subarray(from, cut));
          from = cut;
        }
        expect(received.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3]);
        expect(sent).toEqual([]);
      }),
    );
  });

  it('refuses a line over the limit once, however it arrives, and reads the next', async () => {
    const { input, transport, received, sent } = setUp(64);
    await transport.start();
    input.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
    for (let i = 0; i < 10; i++) input.write('x'.repeat(50));
    input.write('"}}\n' + ping(2) + '\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'message longer than 64 bytes refused' } }]);
    expect(received.map((m) => (m as { id: number }).id)).toEqual([2]);
  });
});
