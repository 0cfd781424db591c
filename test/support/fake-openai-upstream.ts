import { startFakeHttpServer, type Exchange } from './fake-http-server.ts';
import { FakeOpenAIBatchApi } from './fake-openai-batch.ts';
import {
  chatCompletionBody,
  chatCompletionEvents,
  fakeChatBodySchema,
  openAIErrorBody,
  planOpenAIAnswer,
} from './fake-openai-chat.ts';
import { embeddingAnswer } from './fake-openai-embeddings.ts';
import { answerCompletions } from './fake-openai-completions.ts';
import { playTransport, sendAnswer, writeEvents } from './fake-reply-defaults.ts';
import { createFakeUpstream, type FakeUpstream } from './fake-upstream.ts';
import { ReplyScript, type RequestBody, type ScriptEntry } from './fake-upstream-script.ts';

/** Start-up settings of the fake OpenAI upstream. */
export interface FakeOpenAIOptions {
  /** Reply when nothing is queued (also what reset() restores). Default `{}`: the deterministic echo. */
  defaultReply?: ScriptEntry;
  /** When set, every request must carry `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: readonly string[];
  /** Vector length when the request sets no `dimensions`. Default 8. */
  embeddingDimensions?: number;
  /** How long a batch stays `in_progress` before it completes. Default 50 ms. */
  batchDelayMs?: number;
}

const defaultModels = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1-nano', 'text-embedding-3-small'];

/**
 * Starts a fake OpenAI API on 127.0.0.1 (random port): chat completions (JSON and SSE), legacy
 * completions (fake-openai-completions.ts), embeddings,
 * models, Files and Batches. `url` ends in `/v1`, ready for `new OpenAI({ baseURL: fake.url })`.
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  const script = new ReplyScript(options.defaultReply ?? {});
  const dimensions = options.embeddingDimensions ?? 8;
  let sequence = 0;

  function answerBatchLine(url: string, body: RequestBody): { status: number; body: unknown } {
    if (url === '/v1/embeddings') return embeddingAnswer(body, dimensions);
    if (url !== '/v1/chat/completions') return { status: 400, body: openAIErrorBody({ status: 400, message: `Unsupported batch url ${url}` }) };
    const reply = script.next(body);
    if (reply.error) return { status: reply.error.status, body: reply.error.body ?? openAIErrorBody(reply.error) };
    if (!fakeChatBodySchema.safeParse(body).success) return { status: 400, body: openAIErrorBody({ status: 400, message: 'Invalid chat body' }) };
    sequence += 1;
    return { status: 200, body: chatCompletionBody(planOpenAIAnswer(reply, body, sequence)) };
  }

  async function chatCompletions(exchange: Exchange): Promise<void> {
    const body = exchange.recorded.body;
    const parsed = fakeChatBodySchema.safeParse(body);
    if (!parsed.success) {
      exchange.sendJson(400, openAIErrorBody({ status: 400, message: `Invalid chat completions body: ${parsed.error.message}` }));
      return;
    }
    const reply = script.next(body);
    if (!(await playTransport(exchange, reply, openAIErrorBody))) return;
    sequence += 1;
    const answer = planOpenAIAnswer(reply, body, sequence);
    const headers = { 'x-request-id': `req_fake_${sequence}`, 'openai-processing-ms': String(reply.latencyMs ?? 0) };
    if (parsed.data.stream === true) {
      for (const [name, value] of Object.entries(headers)) exchange.response.setHeader(name, value);
      let events = chatCompletionEvents(answer, parsed.data.stream_options?.include_usage === true);
      if (reply.streamError) {
        const { afterChunks, status = 500, message } = reply.streamError;
        events = [...events.slice(0, afterChunks), `data: ${JSON.stringify(openAIErrorBody({ status, message }))}\n\n`];
      }
      await writeEvents(exchange, reply, events);
    } else {
      sendAnswer(exchange, reply, chatCompletionBody(answer), headers);
    }
  }

  async function embeddings(exchange: Exchange): Promise<void> {
    const reply = script.next(exchange.recorded.body);
    if (!(await playTransport(exchange, reply, openAIErrorBody))) return;
    const answer = embeddingAnswer(exchange.recorded.body, dimensions);
    // An upstream that reports no usage (some OpenAI-compatible servers): the gateway must count itself.
    if (reply.omitUsage && answer.status === 200) delete (answer.body as { usage?: unknown }).usage;
    exchange.sendJson(answer.status, answer.body);
  }

  /** Moderation: an input containing "attack" is flagged as violence; everything else passes. */
  async function moderations(exchange: Exchange): Promise<void> {
    const reply = script.next(exchange.recorded.body);
    if (!(await playTransport(exchange, reply, openAIErrorBody))) return;
    const body = exchange.recorded.body as { input?: unknown; model?: string };
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : [];
    const results = inputs.map((input) => {
      const flagged = JSON.stringify(input).includes('attack');
      return { flagged, categories: { violence: flagged, harassment: false }, category_scores: { violence: flagged ? 0.91 : 0.01, harassment: 0.01 } };
    });
    exchange.sendJson(200, { id: 'modr-fake-1', model: body.model ?? 'omni-moderation-latest', results });
  }

  function models(exchange: Exchange): void {
    const ids = options.models ?? defaultModels;
    const data = ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' }));
    const wanted = exchange.recorded.path.slice('/v1/models/'.length);
    if (wanted === '') exchange.sendJson(200, { object: 'list', data });
    else {
      const model = data.find((entry) => entry.id === wanted);
      if (model) exchange.sendJson(200, model);
      else exchange.sendJson(404, openAIErrorBody({ status: 404, message: `The model '${wanted}' does not exist` }));
    }
  }

  const server = await startFakeHttpServer(async (exchange) => {
    const { method, path, headers } = exchange.recorded;
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      exchange.sendJson(401, openAIErrorBody({ status: 401, message: 'Incorrect API key provided.' }));
      return;
    }
    if (method === 'POST' && path === '/v1/chat/completions') return chatCompletions(exchange);
    if (method === 'POST' && path === '/v1/embeddings') return embeddings(exchange);
    if (method === 'POST' && path === '/v1/completions') {
      sequence += 1;
      return answerCompletions(exchange, script, sequence);
    }
    if (method === 'POST' && path === '/v1/moderations') return moderations(exchange);
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) return models(exchange);
    if (await batchApi.handle(exchange)) return;
    exchange.sendJson(404, openAIErrorBody({ status: 404, message: `Unknown route ${method} ${path}` }));
  });
  const batchApi = new FakeOpenAIBatchApi(options.batchDelayMs ?? 50, server.schedule, answerBatchLine);

  return createFakeUpstream(server, script, `${server.origin}/v1`, () => {
    batchApi.reset();
  });
}
