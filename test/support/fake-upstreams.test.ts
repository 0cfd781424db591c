import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from './fake-anthropic-upstream.ts';
import { startFakeOpenAI } from './fake-openai-upstream.ts';
import type { FakeUpstream } from './fake-upstream.ts';

/** Polls until `check` returns a value (not undefined); the fakes' batches finish after 10 ms. */
async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never held');
}

describe('fake OpenAI upstream through the official openai client', () => {
  let fake: FakeUpstream;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-test', batchDelayMs: 10 });
    client = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());
  const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'What is two plus two?' }] };

  it('answers deterministically with plausible usage and records what was sent', async () => {
    const completion = await client.chat.completions.create(ask);
    expect(completion.choices[0].message.content).toBe('Fake answer from gpt-4o-mini: What is two plus two?');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const [sent] = fake.requestsTo('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body.model).toBe('gpt-4o-mini');
  });

  it('streams scripted text, then a usage chunk with no choices when include_usage is asked', async () => {
    fake.script({ text: 'Four, of course.', usage: { promptTokens: 100, completionTokens: 5, cachedTokens: 64 } });
    const stream = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Four, of course.');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 64 } });
    expect(fake.requests[0].body.stream_options).toEqual({ include_usage: true });
  });

  it('returns tool calls, streamed and not, that the client reassembles', async () => {
    const call = { name: 'get_weather', arguments: { city: 'Paris' } };
    fake.script({ toolCalls: [call] }, { toolCalls: [call] });
    const plain = await client.chat.completions.create(ask);
    expect(plain.choices[0].finish_reason).toBe('tool_calls');
    expect(plain.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    const streamed = await client.chat.completions.stream({ ...ask, stream: true }).finalChatCompletion();
    const toolCall = streamed.choices[0].message.tool_calls?.[0];
    expect(toolCall?.type === 'function' ? toolCall.function : undefined).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
  });

  it('sends scripted errors with retry hints, which the client honours', async () => {
    fake.script({ error: { status: 429, message: 'slow down', retryAfterMs: 5 } });
    const retrying = new OpenAI({ baseURL: fake.url, apiKey: 'sk-test', maxRetries: 1 });
    const completion = await retrying.chat.completions.create(ask);
    expect(completion.choices[0].message.content).toContain('Fake answer');
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(2);

    fake.script({ error: { status: 503, retryAfter: 7 } });
    const failure = await client.chat.completions.create(ask).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failure instanceof OpenAI.APIError ? failure.headers?.get('retry-after') : undefined).toBe('7');
  });

  it('drops a stream mid-way and resets connections', async () => {
    fake.script({ text: 'one two three four five six', dropAfterChunks: 3 }, { reset: true });
    const stream = await client.chat.completions.create({ ...ask, stream: true });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(received.join('')).toBe('one two');
    await expect(client.chat.completions.create(ask)).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('hangs until the client aborts, and counts the abort', async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    const pending = client.chat.completions.create(ask, { signal: controller.signal });
    await eventually(async () => (fake.requests.length === 1 ? true : undefined));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    await eventually(async () => (fake.abortedCount === 1 ? true : undefined));
    expect(fake.requests[0].aborted).toBe(true);
  });

  it('rejects a wrong key, lists models and embeds deterministically', async () => {
    const stranger = new OpenAI({ baseURL: fake.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
    const first = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['cat', 'dog'] });
    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'cat', encoding_format: 'float' });
    expect(first.data[0].embedding).toHaveLength(8);
    expect(again.data[0].embedding[0]).toBeCloseTo(first.data[0].embedding[0], 6);
    expect(first.data[1].embedding).not.toEqual(first.data[0].embedding);
  });

  it('runs a batch: upload, create, complete, download one output line per input line', async () => {
    fake.script({ text: 'first answer' }, { error: { status: 400, message: 'bad line' } });
    const lines = ['a', 'b'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: ask }));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
    expect(fake.requestsTo('/v1/files')[0].body.purpose).toBe('batch');
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await eventually(async () => {
      const batch = await client.batches.retrieve(created.id);
      return batch.status === 'completed' ? batch : undefined;
    });
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const output = await (await client.files.content(done.output_file_id ?? '')).text();
    const results = output.trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { choices?: { message: { content: string } }[] } } });
    expect(results.map((result) => [result.custom_id, result.response.status_code])).toEqual([['a', 200], ['b', 400]]);
    expect(results[0].response.body.choices?.[0].message.content).toBe('first answer');

  });

  it('cancels a batch that is still in progress', async () => {
    const slow = await startFakeOpenAI({ batchDelayMs: 60_000 });
    const slowClient = new OpenAI({ baseURL: slow.url, apiKey: 'any', maxRetries: 0 });
    const line = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: ask });
    const file = await slowClient.files.create({ file: await toFile(Buffer.from(line), 'in.jsonl'), purpose: 'batch' });
    const batch = await slowClient.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(batch.status).toBe('in_progress');
    expect((await slowClient.batches.cancel(batch.id)).status).toBe('cancelling');
    await eventually(async () => ((await slowClient.batches.retrieve(batch.id)).status === 'cancelled' ? true : undefined));
    await slow.close();
  });
});

describe('fake Anthropic upstream through the official @anthropic-ai/sdk client', () => {
  let fake: FakeUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: 'sk-ant-test', batchDelayMs: 10 });
    client = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-test', maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());
  const ask = { model: 'claude-3-5-haiku-latest', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi there' }] };

  it('answers with cache usage fields and checks the headers', async () => {
    fake.script({ text: 'Hello!', usage: { promptTokens: 10, completionTokens: 2, cacheCreationTokens: 30, cacheReadTokens: 40 } });
    const message = await client.messages.create(ask);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 2, cache_creation_input_tokens: 30, cache_read_input_tokens: 40 });
    // @anthropic-ai/sdk 1.x sends apiKey as a bearer token; raw callers usually send x-api-key.
    expect(fake.requests[0].headers.authorization).toBe('Bearer sk-ant-test');
    expect(fake.requests[0].headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const post = (headers: Record<string, string>) => fetch(`${fake.url}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(ask) });
    expect((await post({ 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' })).status).toBe(200);
    expect((await post({ 'x-api-key': 'sk-ant-test' })).status).toBe(400);
    expect((await post({ 'x-api-key': 'sk-ant-other', 'anthropic-version': '2023-06-01' })).status).toBe(401);
  });

  it('streams text and tool_use blocks that the client reassembles', async () => {
    fake.script({ text: 'Let me check.', toolCalls: [{ name: 'lookup', arguments: { query: 'weather' } }], usage: { completionTokens: 12 } });
    const message = await client.messages.stream(ask).finalMessage();
    expect(message.content[0]).toEqual({ type: 'text', text: 'Let me check.' });
    expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'lookup', input: { query: 'weather' } });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage.output_tokens).toBe(12);
  });

  it('retries an overloaded error after retry-after, and fails on a dropped stream', async () => {
    fake.script({ error: { status: 529, retryAfterMs: 5 } }, { text: 'fine now' });
    const retrying = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-test', maxRetries: 1 });
    const message = await retrying.messages.create(ask);
    expect(message.content).toEqual([{ type: 'text', text: 'fine now' }]);
    expect(fake.requestsTo('/v1/messages')).toHaveLength(2);

    fake.script({ text: 'cut short here', dropAfterChunks: 4 });
    await expect(client.messages.stream(ask).finalMessage()).rejects.toBeInstanceOf(Error);
  });

  it('runs a message batch to results', async () => {
    fake.script({ text: 'batched' }, { error: { status: 400, message: 'bad params' } });
    const requests = [{ custom_id: 'x', params: ask }, { custom_id: 'y', params: ask }];
    const created = await client.messages.batches.create({ requests });
    const ended = await eventually(async () => {
      const batch = await client.messages.batches.retrieve(created.id);
      return batch.processing_status === 'ended' ? batch : undefined;
    });
    expect(ended.request_counts).toMatchObject({ succeeded: 1, errored: 1, processing: 0 });
    const results = [];
    for await (const entry of await client.messages.batches.results(created.id)) results.push(entry);
    expect(results.map((entry) => [entry.custom_id, entry.result.type])).toEqual([['x', 'succeeded'], ['y', 'errored']]);

  });

  it('cancels a message batch that is still in progress', async () => {
    const slow = await startFakeAnthropic({ batchDelayMs: 60_000 });
    const slowClient = new Anthropic({ baseURL: slow.url, apiKey: 'any', maxRetries: 0 });
    const other = await slowClient.messages.batches.create({ requests: [{ custom_id: 'x', params: ask }, { custom_id: 'y', params: ask }] });
    expect((await slowClient.messages.batches.cancel(other.id)).processing_status).toBe('canceling');
    const canceled = await eventually(async () => {
      const batch = await slowClient.messages.batches.retrieve(other.id);
      return batch.processing_status === 'ended' ? batch : undefined;
    });
    expect(canceled.request_counts.canceled).toBe(2);
    await slow.close();
  });
});
