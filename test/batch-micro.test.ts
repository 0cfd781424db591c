import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load-config.ts';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import type { RequestBody } from './support/fake-upstream-script.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

const SYSTEM = 'You are a sentiment classifier for product reviews. Answer with exactly one word: positive, negative or neutral. '.repeat(4);

/** A model that answers packed prompts with numbered labels, `skip` leaving some numbers out. */
function packedAnswerer(skip: number[] = []) {
  return (body: RequestBody) => {
    const messages = body.messages as { role: string; content: string }[];
    const user = messages.at(-1)?.content ?? '';
    const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
    if (numbered.length === 0) return { text: user.includes('bad') ? 'negative' : 'positive', usage: { promptTokens: 60, completionTokens: 1 } };
    const lines = numbered.filter((match) => !skip.includes(Number(match[1]))).map((match) => `[${match[1]}] ${match[2].includes('bad') ? 'negative' : 'positive'}`);
    return { text: lines.join('\n'), usage: { promptTokens: 60 + numbered.length * 12, completionTokens: numbered.length * 4 } };
  };
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: { plain: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-key-000000' } },
    models: {
      small: { provider: 'plain', upstream_model: 'small-1', price: { input: 1, output: 4 } },
      other: { provider: 'plain', upstream_model: 'other-1', price: { input: 1, output: 4 } },
    },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 2, timeout_ms: 2_000 },
    ledger: { flush_interval_ms: 10 },
    batch: { micro_batch: { models: ['small'], window_ms: 40, max_items: 4 } },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

const ask = (model: string, review: string) =>
  client.chat.completions.create({ model, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: review }] }).withResponse();

async function ledger(id: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const response = await fetch(`${frugal.url}/admin/requests/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  });
}

describe('micro-batching', () => {
  it('packs prompts arriving together into one call and answers each separately', async () => {
    upstream.setDefault(packedAnswerer());
    const reviews = ['great phone', 'bad battery', 'love it', 'bad screen'];
    const results = await Promise.all(reviews.map((review) => ask('small', review)));
    expect(results.map(({ data }) => data.choices[0].message.content)).toEqual(['positive', 'negative', 'positive', 'negative']);
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
    expect(results.map(({ response }) => response.headers.get('x-frugal-micro-batch')).sort()).toEqual(['1/4', '2/4', '3/4', '4/4']);
    // The pack's billed tokens (108 in, 16 out) are split among the items exactly.
    expect(results.reduce((sum, { data }) => sum + (data.usage?.prompt_tokens ?? 0), 0)).toBe(108);
    expect(results.reduce((sum, { data }) => sum + (data.usage?.completion_tokens ?? 0), 0)).toBe(16);
    const records = await Promise.all(results.map(({ response }) => ledger(response.headers.get('x-frugal-request-id')!)));
    // Costs add up to the packed call: 108 × $1/M + 16 × $4/M = $0.000172.
    expect(records.reduce((sum, record) => sum + record.costNano, 0)).toBe(172_000);
    for (const record of records) {
      expect(record.savingsNano.micro_batch).toBeGreaterThan(0);
      const savings = Object.values(record.savingsNano as Record<string, number>).reduce((sum, value) => sum + value, 0);
      expect(record.baselineCostNano - record.costNano).toBe(savings);
    }
  });

  it('asks an item alone when its numbered answer is missing, and charges it both calls', async () => {
    upstream.setDefault(packedAnswerer([2]));
    const results = await Promise.all(['nice', 'bad fit', 'fine'].map((review) => ask('small', review)));
    expect(results.map(({ data }) => data.choices[0].message.content)).toEqual(['positive', 'negative', 'positive']);
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    expect((calls[1].body.messages as { content: string }[]).at(-1)?.content).toBe('bad fit');
    const retried = await ledger(results[1].response.headers.get('x-frugal-request-id')!);
    expect(retried.attempts.map((attempt: { status: string }) => attempt.status)).toEqual(['rejected', 'ok']);
    expect(retried.trace.some((decision: { detail: string }) => decision.detail.includes('could not be parsed'))).toBe(true);
  });

  it('never serves the last answer of a pack cut off by max_tokens as complete: that item is asked alone and charged both calls', async () => {
    // The pack ends in the middle of its last answer (finish_reason 'length'); a separate call answers in full.
    upstream.setDefault((body) => {
      const user = (body.messages as { content: string }[]).at(-1)?.content ?? '';
      const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
      const label = (review: string) => (review.includes('bad') ? 'negative' : 'positive');
      if (numbered.length === 0) return { text: label(user), usage: { promptTokens: 60, completionTokens: 1 } };
      const lines = numbered.map((match) => `[${match[1]}] ${label(match[2])}`);
      lines[lines.length - 1] = lines[lines.length - 1].slice(0, -4);
      return { text: lines.join('\n'), finishReason: 'length', usage: { promptTokens: 100, completionTokens: 12 } };
    });
    const reviews = ['great phone', 'bad battery', 'love it'];
    const results = await Promise.all(reviews.map((review) =>
      client.chat.completions.create({ model: 'small', max_tokens: 20, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: review }] }).withResponse()));
    expect(results.map(({ data }) => data.choices[0].message.content)).toEqual(['positive', 'negative', 'positive']);
    expect(results.map(({ data }) => data.choices[0].finish_reason)).toEqual(['stop', 'stop', 'stop']);
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    // The pack's limit covers every item's own 20 tokens (plus its [n] markers).
    expect(calls[0].body.max_tokens).toBeGreaterThanOrEqual(60);
    const last = results.findIndex(({ response }) => response.headers.get('x-frugal-micro-batch') === '3/3');
    expect((calls[1].body.messages as { content: string }[]).at(-1)?.content).toBe(reviews[last]);
    expect(calls[1].body.max_tokens).toBe(20);
    // The retried client sees its own call's usage; the ledger charges it its share of the pack and its own call.
    expect(results[last].data.usage).toMatchObject({ prompt_tokens: 60, completion_tokens: 1 });
    const records = await Promise.all(results.map(({ response }) => ledger(response.headers.get('x-frugal-request-id')!)));
    expect(records[last].attempts.map((attempt: { status: string }) => attempt.status)).toEqual(['rejected', 'ok']);
    expect(records[last].trace.some((decision: { detail: string }) => /asked alone: .*cut off \(finish_reason length\)/.test(decision.detail))).toBe(true);
    expect(records[last].costNano).toBeGreaterThan(64_000);
    // Pack: 100 × $1/M + 12 × $4/M = 148 000 nano-dollars; the separate call: 60 × $1/M + 1 × $4/M = 64 000.
    expect(records.reduce((sum, record) => sum + record.costNano, 0)).toBe(148_000 + 64_000);
  });

  it('serves the answer a content filter stopped as it is (finish_reason content_filter), asking alone only the items it never reached', async () => {
    // The filter stops the pack inside answer [2]; [3] was never written. Alone, every review gets a label.
    upstream.setDefault((body) => {
      const user = (body.messages as { content: string }[]).at(-1)?.content ?? '';
      const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
      if (numbered.length === 0) return { text: user.includes('bad') ? 'negative' : 'positive', usage: { promptTokens: 60, completionTokens: 1 } };
      return { text: `[1] ${numbered[0][2].includes('bad') ? 'negative' : 'positive'}\n[2] I can`, finishReason: 'content_filter', usage: { promptTokens: 100, completionTokens: 8 } };
    });
    const reviews = ['great speaker', 'bad hinge', 'love the case'];
    const results = await Promise.all(reviews.map((review) => ask('small', review)));
    const byItem = (item: string) => results.find(({ response }) => response.headers.get('x-frugal-micro-batch') === item)!;
    const filtered = byItem('2/3').data.choices[0];
    expect(filtered).toMatchObject({ message: { content: 'I can' }, finish_reason: 'content_filter' });
    expect(byItem('1/3').data.choices[0].finish_reason).toBe('stop');
    expect(byItem('3/3').data.choices[0].finish_reason).toBe('stop');
    // One packed call and one separate call for the item the filter kept the pack from reaching; none for the filtered one.
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    const third = reviews[results.indexOf(byItem('3/3'))];
    expect((calls[1].body.messages as { content: string }[]).at(-1)?.content).toBe(third);
    const record = await ledger(byItem('2/3').response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: { status: string }) => attempt.status)).toEqual(['ok']);
  });

  it('treats a pack that ends with no finish_reason (null) as possibly cut off: its last item is asked alone', async () => {
    upstream.setDefault((body) => {
      const reply = packedAnswerer()(body);
      const packed = /^\[1\] /m.test((body.messages as { content: string }[]).at(-1)?.content ?? '');
      return packed ? { ...reply, finishReason: null as unknown as string } : reply;
    });
    const reviews = ['great lamp', 'bad cable', 'love the strap'];
    const results = await Promise.all(reviews.map((review) => ask('small', review)));
    expect(results.map(({ data }) => data.choices[0].message.content)).toEqual(['positive', 'negative', 'positive']);
    expect(results.map(({ data }) => data.choices[0].finish_reason)).toEqual(['stop', 'stop', 'stop']);
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    const last = results.findIndex(({ response }) => response.headers.get('x-frugal-micro-batch') === '3/3');
    expect((calls[1].body.messages as { content: string }[]).at(-1)?.content).toBe(reviews[last]);
    const record = await ledger(results[last].response.headers.get('x-frugal-request-id')!);
    expect(record.trace.some((decision: { detail: string }) => /asked alone: .*cut off \(finish_reason missing\)/.test(decision.detail))).toBe(true);
  });

  it('never serves an answer longer than the item\'s own max_tokens: it is asked alone with its limit', async () => {
    // The model answers at length in the pack; alone, it stops at max_tokens (a word a token here).
    upstream.setDefault((body) => {
      const user = (body.messages as { content: string }[]).at(-1)?.content ?? '';
      const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
      const long = 'positive, because the reviewer praises the camera, the screen and the battery of this phone at length';
      const label = (review: string) => (review.includes('bad') ? 'negative' : long);
      if (numbered.length > 0) return { text: numbered.map((match) => `[${match[1]}] ${label(match[2])}`).join('\n'), usage: { promptTokens: 100, completionTokens: 30 } };
      const limit = Number(body.max_tokens);
      const words = label(user).split(' ');
      return words.length > limit
        ? { text: words.slice(0, limit).join(' '), finishReason: 'length', usage: { promptTokens: 60, completionTokens: limit } }
        : { text: words.join(' '), usage: { promptTokens: 60, completionTokens: words.length } };
    });
    const ask = (review: string, maxTokens: number) =>
      client.chat.completions.create({ model: 'small', max_tokens: maxTokens, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: review }] }).withResponse();
    const [short, roomy] = await Promise.all([ask('great phone', 3), ask('bad battery', 50)]);
    expect(short.data.choices[0]).toMatchObject({ message: { content: 'positive, because the' }, finish_reason: 'length' });
    expect(short.data.usage?.completion_tokens).toBe(3);
    expect(roomy.data.choices[0]).toMatchObject({ message: { content: 'negative' }, finish_reason: 'stop' });
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(2);
    expect(calls[1].body.max_tokens).toBe(3);
    const record = await ledger(short.response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: { status: string }) => attempt.status)).toEqual(['rejected', 'ok']);
    expect(record.trace.some((decision: { detail: string }) => /is longer than its max_tokens \(3\)/.test(decision.detail))).toBe(true);
  });

  it('leaves models that did not opt in, and streams, alone', async () => {
    upstream.setDefault(packedAnswerer());
    await Promise.all(['a', 'b'].map((review) => ask('other', review)));
    const stream = await client.chat.completions.create({ model: 'small', stream: true, messages: [{ role: 'user', content: 'streamed' }] });
    for await (const _chunk of stream) {
      // drain
    }
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(3);
  });
});

describe('micro-batching config errors', () => {
  it('names a micro_batch.models entry no request can carry (micro-batching stayed silently off for it)', () => {
    const config = (models: string[]) => () =>
      validateConfig({ providers: { p: { type: 'simulated' } }, models: { mini: { provider: 'p' } }, routes: { classify: { default: 'mini' } }, rewrite: { 'gpt-4o-mini': 'mini' }, batch: { micro_batch: { models } } }, 'test');
    expect(config(['mini', 'clasify'])).toThrow(/batch\.micro_batch\.models\.1: no model or route is called 'clasify' \(configured: mini, classify, gpt-4o-mini\)/);
    expect(config(['mini', 'classify', 'gpt-4o-mini'])).not.toThrow();
  });
});
