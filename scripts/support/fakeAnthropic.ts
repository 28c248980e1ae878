/**
 * A fake Anthropic Messages API on loopback, for running the real `claude` CLI offline.
 *
 * Every model call of Claude Code 2.1.328 is `POST /v1/messages?beta=true` with `stream: true`;
 * we answer with the standard SSE sequence. What to answer is a function of the request (the
 * scenario's script): who asks (the main agent, or a subagent told apart by a marker the test
 * put in its definition's body) and which tool results came back so far. Anything else the CLI
 * asks (count_tokens, a non-streaming side call, an unknown path) gets a harmless answer, so no
 * side request fails the run; all of it is recorded in `requests` for the test to look at.
 * The tests and `npm run demo:claude-code` script it the same way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Put `${AGENT_MARKER}<name>` in an agent definition's body; its requests then carry it. */
export const AGENT_MARKER = 'OAK-FAKE-AGENT:';

export interface ToolResultSeen {
  readonly toolUseId: string;
  readonly text: string;
  readonly isError: boolean;
}

/** One model call, as the script sees it. */
export interface ModelCall {
  /** 'main' for the main agent, else the marker's name from the subagent's definition ('?' for a subagent without one). */
  readonly agent: string;
  readonly isSubagent: boolean;
  /** Every tool_result block in the conversation so far, oldest first. */
  readonly toolResults: readonly ToolResultSeen[];
  /** The text of the user turns (prompts, task notifications), oldest first. */
  readonly userTexts: readonly string[];
  /** How many calls this agent made before this one (0 for its first). */
  readonly turn: number;
  readonly toolNames: readonly string[];
  readonly body: MessagesBody;
}

export interface ToolUse {
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** Default: a unique `toolu_fake_<n>`. */
  readonly id?: string;
}

export type Reply =
  | { readonly text: string }
  | { readonly text?: string; readonly toolUses: readonly ToolUse[] }
  /** An API error (HTTP status + Anthropic error body); 4xx other than 429 is not retried by the CLI. */
  | { readonly error: { readonly status: number; readonly type: string; readonly message: string } };

export type Script = (call: ModelCall) => Reply;

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  /** For model calls: the agent it was attributed to. */
  readonly agent?: string;
  readonly reply?: Reply;
}

export interface FakeAnthropic {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** The model calls only (POST /v1/messages that the script answered). */
  modelCalls(): readonly RecordedRequest[];
  close(): Promise<void>;
}

export interface MessagesBody {
  readonly model?: string;
  readonly stream?: boolean;
  readonly system?: string | readonly { type: string; text?: string }[];
  readonly messages?: readonly { role: string; content: string | readonly ContentBlock[] }[];
  readonly tools?: readonly { name?: string }[];
}

interface ContentBlock {
  readonly type: string;
  readonly text?: string;
  readonly tool_use_id?: string;
  readonly is_error?: boolean;
  readonly content?: string | readonly { type: string; text?: string }[];
}

export async function startFakeAnthropic(script: Script): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const turns = new Map<string, number>();
  let ids = 0;
  const nextId = (): string => `toolu_fake_${++ids}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        // Recorded as text; not a model call.
      }
      const url = req.url ?? '/';
      const pathname = url.split('?')[0];
      if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
        requests.push({ method: 'POST', url, body });
        return sendJson(res, 200, { input_tokens: 100 });
      }
      if (req.method === 'POST' && pathname === '/v1/messages' && isObject(body)) {
        const messages = body as MessagesBody;
        const call = describeCall(messages, turns);
        let reply: Reply;
        try {
          reply = script(call);
        } catch (error) {
          reply = { error: { status: 400, type: 'invalid_request_error', message: `fake script failed: ${String(error)}` } };
        }
        requests.push({ method: 'POST', url, body, agent: call.agent, reply });
        return answer(res, messages, reply, nextId);
      }
      requests.push({ method: req.method ?? '?', url, body });
      // Anything else (a HEAD probe, a models list...): an empty success.
      sendJson(res, 200, pathname === '/v1/models' ? { data: [], has_more: false } : {});
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    modelCalls: () => requests.filter((r) => r.agent !== undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function describeCall(body: MessagesBody, turns: Map<string, number>): ModelCall {
  const systemText = systemBlocks(body.system);
  const isSubagent = (systemText[0] ?? '').includes('cc_is_subagent=true');
  const all = systemText.join('\n');
  const marker = new RegExp(`${AGENT_MARKER}([A-Za-z0-9_.-]+)`).exec(all);
  const agent = isSubagent ? (marker?.[1] ?? '?') : 'main';
  const toolResults: ToolResultSeen[] = [];
  const userTexts: string[] = [];
  for (const message of body.messages ?? []) {
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') {
      userTexts.push(message.content);
      continue;
    }
    for (const block of message.content) {
      if (block.type === 'text' && block.text !== undefined) userTexts.push(block.text);
      if (block.type === 'tool_result') {
        toolResults.push({ toolUseId: block.tool_use_id ?? '', text: blockText(block.content), isError: block.is_error === true });
      }
    }
  }
  const turn = turns.get(agent) ?? 0;
  turns.set(agent, turn + 1);
  const toolNames = (body.tools ?? []).map((t) => t.name ?? '');
  return { agent, isSubagent, toolResults, userTexts, turn, toolNames, body };
}

function systemBlocks(system: MessagesBody['system']): string[] {
  if (system === undefined) return [];
  if (typeof system === 'string') return [system];
  return system.map((b) => b.text ?? '');
}

function blockText(content: ContentBlock['content']): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((c) => c.text ?? '').join('');
}

const USAGE = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function answer(res: http.ServerResponse, body: MessagesBody, reply: Reply, nextId: () => string): void {
  if ('error' in reply) {
    res.writeHead(reply.error.status, { 'content-type': 'application/json', 'request-id': 'req_fake_err' });
    res.end(JSON.stringify({ type: 'error', error: { type: reply.error.type, message: reply.error.message } }));
    return;
  }
  const text = reply.text;
  const toolUses = 'toolUses' in reply ? reply.toolUses : [];
  const content: Record<string, unknown>[] = [];
  if (text !== undefined && text !== '') content.push({ type: 'text', text });
  for (const use of toolUses) content.push({ type: 'tool_use', id: use.id ?? nextId(), name: use.name, input: use.input });
  const stopReason = toolUses.length > 0 ? 'tool_use' : 'end_turn';
  const message = {
    id: `msg_fake_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`,
    type: 'message',
    role: 'assistant',
    model: body.model ?? 'claude-fake',
    stop_sequence: null,
  };
  if (body.stream !== true) {
    sendJson(res, 200, { ...message, content, stop_reason: stopReason, usage: USAGE });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  const send = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`);
  };
  send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...USAGE, output_tokens: 1 } } });
  content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: USAGE.output_tokens } });
  send('message_stop', {});
  res.end();
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
