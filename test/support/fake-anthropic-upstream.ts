import { FakeAnthropicBatchApi, type MessageBatchResult } from './fake-anthropic-batch.ts';
import {
  anthropicErrorBody,
  fakeMessageBodySchema,
  messageBody,
  messageEvents,
  planAnthropicAnswer,
} from './fake-anthropic-message.ts';
import { startFakeHttpServer, type Exchange } from './fake-http-server.ts';
import { playTransport, sendAnswer, writeEvents } from './fake-reply-defaults.ts';
import { createFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { ReplyScript, type RequestBody, type ScriptEntry } from './fake-upstream-script.ts';

/** What the fake's count_tokens answers for a body (see `countTokens` below). */
export function fakeTokenCount(body: Record<string, unknown>): number {
  return Math.ceil(JSON.stringify({ system: body.system, messages: body.messages, tools: body.tools }).length / 4);
}

/** Start-up settings of the fake Anthropic upstream. */
export interface FakeAnthropicOptions {
  /** Reply when nothing is queued (also what reset() restores). Default `{}`: the deterministic echo. */
  defaultReply?: ScriptEntry;
  /**
   * When set, the key must equal it (else 401); when unset, any non-empty key passes. The key is read
   * from `x-api-key`, or from `Authorization: Bearer` (how @anthropic-ai/sdk 1.x sends `apiKey`).
   */
  apiKey?: string;
  /** How long a message batch stays `in_progress` before it ends. Default 50 ms. */
  batchDelayMs?: number;
}

/**
 * Starts a fake Anthropic API on 127.0.0.1 (random port): Messages (JSON and SSE) and Message
 * Batches. Requires a key (`x-api-key` or `Authorization: Bearer`) and `anthropic-version` like the real API. `url` has no `/v1`,
 * ready for `new Anthropic({ baseURL: fake.url })`.
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeUpstream> {
  const script = new ReplyScript(options.defaultReply ?? {});
  let sequence = 0;

  function answerBatchRequest(params: RequestBody): MessageBatchResult {
    const reply = script.next(params);
    if (reply.error) return { type: 'errored', error: reply.error.body ?? anthropicErrorBody(reply.error) };
    if (!fakeMessageBodySchema.safeParse(params).success) {
      return { type: 'errored', error: anthropicErrorBody({ status: 400, message: 'Invalid message params' }) };
    }
    sequence += 1;
    return { type: 'succeeded', message: messageBody(planAnthropicAnswer(reply, params, sequence)) };
  }

  async function messages(exchange: Exchange): Promise<void> {
    const body = exchange.recorded.body;
    const parsed = fakeMessageBodySchema.safeParse(body);
    if (!parsed.success) {
      exchange.sendJson(400, anthropicErrorBody({ status: 400, message: `Invalid messages body: ${parsed.error.message}` }));
      return;
    }
    const reply = script.next(body);
    if (!(await playTransport(exchange, reply, anthropicErrorBody))) return;
    sequence += 1;
    const answer = planAnthropicAnswer(reply, body, sequence);
    const headers = { 'request-id': `req_fake_${sequence}` };
    if (parsed.data.stream === true) {
      exchange.response.setHeader('request-id', headers['request-id']);
      let events = messageEvents(answer);
      if (reply.streamError) {
        const { afterChunks, status = 529, message } = reply.streamError;
        events = [...events.slice(0, afterChunks), `event: error\ndata: ${JSON.stringify(anthropicErrorBody({ status, message }))}\n\n`];
      }
      await writeEvents(exchange, reply, events);
    } else {
      sendAnswer(exchange, reply, messageBody(answer), headers);
    }
  }

  /**
   * Token counting: like the real endpoint it refuses fields outside the counted input (max_tokens,
   * stream, sampling). The count is a fixed function of the body, documented so tests can assert it:
   * the characters of JSON.stringify({ system, messages, tools }) divided by 4, rounded up.
   */
  function countTokens(exchange: Exchange): void {
    const body = exchange.recorded.body as Record<string, unknown> | undefined;
    const allowed = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']);
    const extra = Object.keys(body ?? {}).filter((field) => !allowed.has(field));
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages) || extra.length > 0) {
      exchange.sendJson(400, anthropicErrorBody({ status: 400, message: extra.length ? `${extra[0]}: Extra inputs are not permitted` : 'model and messages are required' }));
      return;
    }
    const reply = script.next(body);
    if (reply.error) {
      exchange.sendJson(reply.error.status, reply.error.body ?? anthropicErrorBody(reply.error));
      return;
    }
    exchange.sendJson(200, { input_tokens: fakeTokenCount(body) });
  }

  /** Returns an error to send when the headers are not what the real API demands. */
  function headerProblem(headers: Readonly<Record<string, string>>): { status: number; message: string } | undefined {
    const bearer = headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    const key = headers['x-api-key'] ?? bearer;
    if (!key) return { status: 401, message: 'x-api-key or Authorization header is required' };
    if (options.apiKey !== undefined && key !== options.apiKey) return { status: 401, message: 'invalid x-api-key' };
    if (!headers['anthropic-version']) return { status: 400, message: 'anthropic-version: header is required' };
    return undefined;
  }

  const server = await startFakeHttpServer(async (exchange) => {
    const { method, path, headers } = exchange.recorded;
    const problem = headerProblem(headers);
    if (problem) {
      exchange.sendJson(problem.status, anthropicErrorBody(problem));
      return;
    }
    if (method === 'POST' && path === '/v1/messages') return messages(exchange);
    if (method === 'POST' && path === '/v1/messages/count_tokens') return countTokens(exchange);
    if (batchApi.handle(exchange)) return;
    exchange.sendJson(404, anthropicErrorBody({ status: 404, message: `Unknown route ${method} ${path}` }));
  });
  const batchApi = new FakeAnthropicBatchApi(server.origin, options.batchDelayMs ?? 50, server.schedule, answerBatchRequest);

  return createFakeUpstream(server, script, server.origin, () => {
    batchApi.reset();
  });
}
