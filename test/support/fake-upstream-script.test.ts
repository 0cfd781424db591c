import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from './fake-anthropic-upstream.ts';
import { startFakeOpenAI } from './fake-openai-upstream.ts';
import type { FakeUpstream } from './fake-upstream.ts';

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hello' }] });

describe('reply scripting (OpenAI fake)', () => {
  let fake: FakeUpstream;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ defaultReply: { text: 'start-up default' } });
    client = new OpenAI({ baseURL: fake.url, apiKey: 'any', maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('uses queued replies in order, then the default; reset restores the start-up default', async () => {
    fake.script({ text: 'first' }, (body) => ({ text: `second for ${String(body.model)}` }));
    expect(fake.pendingReplies).toBe(2);
    const texts = [];
    for (let index = 0; index < 3; index += 1) {
      texts.push((await client.chat.completions.create(ask('m'))).choices[0].message.content);
    }
    expect(texts).toEqual(['first', 'second for m', 'start-up default']);
    fake.setDefault({ text: 'changed' });
    expect((await client.chat.completions.create(ask('m'))).choices[0].message.content).toBe('changed');
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect((await client.chat.completions.create(ask('m'))).choices[0].message.content).toBe('start-up default');
  });

  it('routes by model with a matcher default, falling through when it returns undefined', async () => {
    fake.setDefault((body) => (body.model === 'cheap' ? { text: 'cheap answer', usage: { completionTokens: 3 } } : undefined));
    const cheap = await client.chat.completions.create(ask('cheap'));
    expect([cheap.choices[0].message.content, cheap.usage?.completion_tokens]).toEqual(['cheap answer', 3]);
    const other = await client.chat.completions.create(ask('big'));
    expect(other.choices[0].message.content).toBe('Fake answer from big: hello');
  });

  it('sets finish reason, model and logprobs; omits usage when told', async () => {
    fake.script({ text: 'a b', finishReason: 'length', model: 'gpt-4o-mini-2024-07-18', logprobs: [-0.25, -1.5], omitUsage: true });
    const completion = await client.chat.completions.create({ ...ask('gpt-4o-mini'), top_logprobs: 2 });
    expect(completion.choices[0].finish_reason).toBe('length');
    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(completion.usage).toBeUndefined();
    const tokens = completion.choices[0].logprobs?.content ?? [];
    expect(tokens.map((token) => [token.token, token.logprob, token.top_logprobs.length])).toEqual([['a', -0.25, 2], [' b', -1.5, 2]]);

    fake.script({ omitUsage: true });
    const stream = await client.chat.completions.create({ ...ask('m'), stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.usage == null && chunk.choices.length === 1)).toBe(true);
  });

  it('times out a slow upstream and counts the client abort', async () => {
    fake.script({ latencyMs: 10_000 });
    await expect(client.chat.completions.create(ask('m'), { timeout: 50 })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect.poll(() => fake.abortedCount).toBe(1);
  });

  it('stalls a stream after N events until the client gives up', async () => {
    fake.script({ text: 'alpha beta gamma', stallAfterChunks: 2 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ ...ask('m'), stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const received = [(await iterator.next()).value, (await iterator.next()).value];
    expect(received.map((chunk) => chunk?.choices[0]?.delta.content)).toEqual(['', 'alpha']);
    let thirdArrived = false;
    const third = iterator.next().then(() => (thirdArrived = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(thirdArrived).toBe(false);
    controller.abort();
    await third.catch(() => undefined);
    await expect.poll(() => fake.abortedCount).toBe(1);
  });

  it('sends an in-stream error event after N chunks', async () => {
    fake.script({ text: 'one two three', streamError: { afterChunks: 2, message: 'upstream broke' } });
    const stream = await client.chat.completions.create({ ...ask('m'), stream: true });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure instanceof Error ? failure.message : '').toContain('upstream broke');
    expect(received).toEqual(['', 'one']);
  });

  it('cuts a non-streamed body short when a drop is scripted', async () => {
    fake.script({ dropAfterChunks: 0 });
    await expect(client.chat.completions.create(ask('m'))).rejects.toBeInstanceOf(Error);
  });

  it('closes without hanging while a request is still open', async () => {
    const own = await startFakeOpenAI({ defaultReply: { hang: true } });
    const ownClient = new OpenAI({ baseURL: own.url, apiKey: 'any', maxRetries: 0 });
    const pending = ownClient.chat.completions.create(ask('m'));
    await expect.poll(() => own.requests.length).toBe(1);
    await own.close();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(own.abortedCount).toBe(0);
  });
});

describe('reply scripting (Anthropic fake)', () => {
  let fake: FakeUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    client = new Anthropic({ baseURL: fake.url, apiKey: 'any', maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());
  const message = { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user' as const, content: 'ping' }] };

  it('echoes by default and maps an OpenAI finish reason to a stop reason', async () => {
    fake.script({}, { finishReason: 'length' });
    const first = await client.messages.create(message);
    expect(first.content).toEqual([{ type: 'text', text: 'Fake answer from claude-sonnet-4-5: ping' }]);
    expect(first.stop_reason).toBe('end_turn');
    expect((await client.messages.create(message)).stop_reason).toBe('max_tokens');
  });

  it('streams the real event order', async () => {
    fake.script({ text: 'hi there', usage: { promptTokens: 7, completionTokens: 2, cacheReadTokens: 5 } });
    const stream = await client.messages.create({ ...message, stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0];
    expect(start.type === 'message_start' ? start.message.usage : undefined).toMatchObject({ input_tokens: 7, cache_read_input_tokens: 5 });
  });

  it('sends an overloaded error event mid-stream', async () => {
    fake.script({ text: 'partial answer', streamError: { afterChunks: 3 } });
    const failure = await client.messages.stream(message).finalMessage().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(failure instanceof Error ? failure.message : '').toContain('overloaded_error');
  });

  it('hangs until aborted, sends Anthropic error envelopes', async () => {
    fake.script({ hang: true }, { error: { status: 429, message: 'too many', retryAfter: 3 } });
    const controller = new AbortController();
    const pending = client.messages.create(message, { signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
    await expect.poll(() => fake.abortedCount).toBe(1);
    const failure = await client.messages.create(message).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
    expect(failure instanceof Anthropic.APIError ? failure.error : undefined).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: 'too many' } });
  });
});
