import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ClientRequestSchema, JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { stringifyJson } from '../domain/jsonText.js';

/**
 * Longest message accepted, in bytes, without its newline. Our tools take a few kilobytes at
 * most (a task of 4,096 characters, names of 1,000); a longer line is refused as it arrives,
 * without being held, and the server keeps serving.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** JSON-RPC 2.0 error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

type Id = string | number | null;

/** The SDK's schema for each request method it serves, to check params before a handler sees them. */
const REQUEST_SCHEMAS = new Map(ClientRequestSchema.options.map((schema) => [schema.shape.method.value as string, schema]));

/**
 * MCP over stdio, newline-delimited JSON-RPC, in place of the SDK's StdioServerTransport, which
 * on a message over its buffer limit closes the transport (the server exits 0, silently), gives
 * invalid JSON no answer, and lets a request with malformed params reach the handler that
 * answers -32603 with the validation dump. Here each refused message gets its JSON-RPC error
 * (-32700 parse error, -32600 invalid request or oversized, -32602 invalid params, with a short
 * message), one log line on stderr, and the next line is read as usual. Every message out is
 * written by stringifyJson, so it is well-formed JSON whatever the names hold.
 */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line already refused as too long: drop bytes up to its newline. */
  private discarding = false;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly log: Logger,
    private readonly maxMessageBytes = MAX_MESSAGE_BYTES,
  ) {}

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.pending = [];
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(stringifyJson(message, 0) + '\n')) resolve();
      else this.output.once('drain', resolve);
    });
  }

  private readonly onEnd = (): void => void this.close();
  private readonly onInputError = (error: Error): void => this.onerror?.(error);

  private readonly onData = (chunk: Buffer | string): void => {
    let rest = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let newline = rest.indexOf(0x0a); newline >= 0; newline = rest.indexOf(0x0a)) {
      this.take(rest.subarray(0, newline));
      if (!this.discarding) this.handleLine(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = false;
      rest = rest.subarray(newline + 1);
    }
    this.take(rest);
  };

  /** Holds a piece of the current line, or refuses the line the moment it is too long. */
  private take(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    if (this.pendingBytes + piece.length > this.maxMessageBytes) {
      this.discarding = true;
      this.pending = [];
      this.pendingBytes = 0;
      this.refuse(null, INVALID_REQUEST, `message longer than ${this.maxMessageBytes} bytes refused`, { limit: this.maxMessageBytes });
      return;
    }
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  private handleLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.refuse(null, PARSE_ERROR, `Parse error: ${(error as Error).message}`, { excerpt: line.slice(0, 120) });
      return;
    }
    if (Array.isArray(value)) {
      this.refuse(null, INVALID_REQUEST, 'Invalid Request: batches are not supported', {});
      return;
    }
    const id = idOf(value);
    const message = JSONRPCMessageSchema.safeParse(value);
    if (!message.success) {
      this.refuse(id, INVALID_REQUEST, `Invalid Request: ${summarize(message.error.issues)}`, { excerpt: line.slice(0, 120) });
      return;
    }
    const request = message.data as { method?: unknown; id?: unknown };
    const schema = typeof request.method === 'string' && request.id !== undefined ? REQUEST_SCHEMAS.get(request.method) : undefined;
    if (schema !== undefined) {
      const checked = schema.safeParse(message.data);
      if (!checked.success) {
        this.refuse(id, INVALID_PARAMS, `Invalid params: ${summarize(checked.error.issues)}`, { method: request.method });
        return;
      }
    }
    this.onmessage?.(message.data);
  }

  private refuse(id: Id, code: number, message: string, detail: Record<string, unknown>): void {
    this.log.warn({ code, id, ...detail }, `mcp: refused a message: ${message}`);
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}

/** The request's id when it has a usable one; null otherwise, as JSON-RPC asks. */
function idOf(value: unknown): Id {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

/** "params.arguments: expected record, received null": the first issues, short. */
function summarize(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  const text = issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
