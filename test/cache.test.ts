import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { cacheRuntimeFor } from '../src/pipeline/cache/gateway-cache-stage.ts';
import { ConfigError, validateConfig } from '../src/config/load-config.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;
let testCount = 0;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-test-cache-000000' });
  frugal = await startTestGateway({
    store: 'memory',
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-test-cache-000000' } },
    models: {
      'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } },
      faq: { provider: 'primary', upstream_model: 'faq-model', price: { input: 1, output: 1 } },
    },
    routes: { support: { default: 'gpt-4o' } },
    ledger: { flush_interval_ms: 10 },
    retry: { max_retries: 0, timeout_ms: 2_000 },
    // Semantic matching is on by default only for routes; `faq` is a real model, so opt it in.
    cache: { overrides: { faq: { semantic: { enabled: true } } } },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

/** A question no other test asks, so tests never hit each other's entries. */
function unique(text: string): string {
  testCount += 1;
  return `${text} (case ${testCount})`;
}

function chatCalls(): number {
  return upstream.requestsTo('/v1/chat/completions').length;
}

async function ask(body: OpenAI.ChatCompletionCreateParamsNonStreaming, headers: Record<string, string> = {}) {
  const { data, response } = await client.chat.completions.create(body, { headers }).withResponse();
  return { data, cache: response.headers.get('x-frugal-cache'), headers: response.headers };
}

async function ledgerRecord(id: string) {
  return eventually(async () => {
    const response = await fetch(`${frugal.url}/admin/requests/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  });
}

describe('exact cache through the openai client', () => {
  it('serves the second identical request from the cache at $0 and records the saving', async () => {
    upstream.script({ text: 'Paris.', usage: { promptTokens: 1000, completionTokens: 100 } });
    const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: unique('Capital of France?') }] };
    const first = await ask(body);
    const second = await ask(body);
    expect(first.cache).toBe('miss');
    expect(second.cache).toBe('hit');
    expect(second.data.choices[0].message.content).toBe('Paris.');
    expect(second.data.id).not.toBe(first.data.id);
    expect(chatCalls()).toBe(1);
    expect(second.headers.get('x-frugal-cost')).toBe('0');
    // Baseline of the stored answer: 1000 × $2.50/M + 100 × $10/M = $0.0035
    expect(second.headers.get('x-frugal-baseline-cost')).toBe('0.0035');
    const record = await ledgerRecord(second.headers.get('x-frugal-request-id')!);
    expect(record).toMatchObject({ cacheStatus: 'hit', costNano: 0, baselineCostNano: 3_500_000, inputTokens: 1000, outputTokens: 100 });
    expect(record.savingsNano.cache).toBe(3_500_000);
  });

  it('never answers from a conversation with a different system prompt or earlier turn', async () => {
    const question = unique('What is the refund window?');
    const asked = [
      [{ role: 'system' as const, content: 'You are the support bot of shop A.' }, { role: 'user' as const, content: question }],
      [{ role: 'system' as const, content: 'You are the support bot of shop B.' }, { role: 'user' as const, content: question }],
      [{ role: 'user' as const, content: 'I bought shoes.' }, { role: 'assistant' as const, content: 'Nice.' }, { role: 'user' as const, content: question }],
    ];
    for (const model of ['gpt-4o', 'faq']) {
      const statuses = [];
      for (const messages of asked) statuses.push((await ask({ model, messages })).cache);
      expect(statuses).toEqual(['miss', 'miss', 'miss']);
    }
    expect(chatCalls()).toBe(6);
  });

  it('keys on sampling parameters, tools and response_format', async () => {
    const messages = [{ role: 'user' as const, content: unique('List three colours') }];
    await ask({ model: 'gpt-4o', messages });
    expect((await ask({ model: 'gpt-4o', messages, max_tokens: 5 })).cache).toBe('miss');
    expect((await ask({ model: 'gpt-4o', messages, response_format: { type: 'json_object' } })).cache).toBe('miss');
    expect((await ask({ model: 'gpt-4o', messages, tools: [{ type: 'function', function: { name: 'colours' } }] })).cache).toBe('miss');
    expect((await ask({ model: 'gpt-4o', messages, temperature: 0 })).cache).toBe('miss');
    expect((await ask({ model: 'gpt-4o', messages, temperature: 0 })).cache).toBe('hit');
  });

  it('bypasses requests with temperature above 0 by default', async () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: unique('Write a poem') }], temperature: 0.8 };
    expect((await ask(body)).cache).toBe('bypass');
    expect((await ask(body)).cache).toBe('bypass');
    expect(chatCalls()).toBe(2);
  });

  it('honours no-store (no read, no write) and no-cache (no read, but refresh)', async () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: unique('Opening hours?') }] };
    expect((await ask(body, { 'cache-control': 'no-store' })).cache).toBe('bypass');
    expect((await ask(body, { 'x-frugal-cache': 'no-store' })).cache).toBe('bypass');
    upstream.script({ text: 'Old answer.' }, { text: 'Fresh answer.' });
    expect((await ask(body)).cache).toBe('miss');
    expect((await ask(body)).data.choices[0].message.content).toBe('Old answer.');
    const refreshed = await ask(body, { 'cache-control': 'no-cache' });
    expect(refreshed.cache).toBe('miss');
    const after = await ask(body);
    expect(after.cache).toBe('hit');
    expect(after.data.choices[0].message.content).toBe('Fresh answer.');
    expect(chatCalls()).toBe(4);
  });
});

describe('Anthropic Messages clients', () => {
  it('get hits too, translated to the Messages shape, streamed or not', async () => {
    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    upstream.script({ text: 'Bonjour.', usage: { promptTokens: 20, completionTokens: 2 } });
    const body = { model: 'gpt-4o', max_tokens: 50, messages: [{ role: 'user' as const, content: unique('Say hello in French') }] };
    await anthropic.messages.create(body);
    const { data, response } = await anthropic.messages.create(body).withResponse();
    expect(response.headers.get('x-frugal-cache')).toBe('hit');
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'Bonjour.' });
    const stream = anthropic.messages.stream(body);
    expect((await stream.finalText())).toBe('Bonjour.');
    expect(chatCalls()).toBe(1);
  });
});

describe('personal data is not shared', () => {
  it('does not store exchanges holding an email, phone or card number, or the user id', async () => {
    const cases: { content: string; answer?: string; user?: string }[] = [
      { content: unique('Send the invoice to jane.doe@example.com please') },
      { content: unique('What is my order status?'), answer: 'We will call you at +44 20 7946 0958.' },
      { content: unique('Is card 4111 1111 1111 1111 valid?') },
      { content: unique('Hello, this is user-8812, any news?'), user: 'user-8812' },
    ];
    for (const { content, answer, user } of cases) {
      const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content }], ...(user ? { user } : {}) };
      upstream.script({ text: answer ?? 'ok' }, { text: answer ?? 'ok' });
      expect((await ask(body)).cache).toBe('miss');
      expect((await ask(body)).cache).toBe('miss');
    }
    expect(chatCalls()).toBe(8);
  });

  it('still stores a support address the system prompt itself provides', async () => {
    const messages = [
      { role: 'system' as const, content: 'Support is reachable at help@shop.example.' },
      { role: 'user' as const, content: unique('How do I reach support?') },
    ];
    upstream.script({ text: 'Write to help@shop.example.' });
    await ask({ model: 'gpt-4o', messages });
    expect((await ask({ model: 'gpt-4o', messages })).cache).toBe('hit');
  });
});

describe('streaming', () => {
  it('replays a stored answer as a well-formed SSE stream with the usage chunk when asked', async () => {
    upstream.script({ text: 'Streamed from cache.', usage: { promptTokens: 40, completionTokens: 5 } });
    const messages = [{ role: 'user' as const, content: unique('Say something') }];
    await ask({ model: 'gpt-4o', messages });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('x-frugal-cache')).toBe('hit');
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Streamed from cache.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 5 });
    expect(chatCalls()).toBe(1);
  });

  it('stores a streamed miss once complete, and never a stream that was cut off', async () => {
    const complete = [{ role: 'user' as const, content: unique('Stream me') }];
    upstream.script({ text: 'one two three', chunkDelayMs: 1 });
    for await (const _chunk of await client.chat.completions.create({ model: 'gpt-4o', messages: complete, stream: true })) void _chunk;
    const replayed = await eventually(async () => {
      const result = await ask({ model: 'gpt-4o', messages: complete });
      expect(result.cache).toBe('hit');
      return result;
    });
    expect(replayed.data.choices[0].message.content).toBe('one two three');

    const cut = [{ role: 'user' as const, content: unique('Stream me, then fail') }];
    upstream.script({ text: 'alpha beta gamma delta', streamError: { afterChunks: 2, status: 500 } });
    await expect(async () => {
      for await (const _chunk of await client.chat.completions.create({ model: 'gpt-4o', messages: cut, stream: true })) void _chunk;
    }).rejects.toThrow();
    upstream.script({ text: 'whole answer' });
    expect((await ask({ model: 'gpt-4o', messages: cut })).cache).toBe('miss');
  });
});

describe('coalescing', () => {
  it('makes one upstream call for many identical concurrent misses', async () => {
    upstream.script({ text: 'Shared answer.', latencyMs: 300 });
    const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: unique('Popular question') }] };
    const results = await Promise.all(Array.from({ length: 6 }, () => ask(body)));
    expect(chatCalls()).toBe(1);
    expect(results.map((result) => result.data.choices[0].message.content)).toEqual(Array(6).fill('Shared answer.'));
    expect(results.filter((result) => result.cache === 'miss')).toHaveLength(1);
    expect(results.filter((result) => result.cache === 'hit')).toHaveLength(5);
  });

  it('lets waiting requests make their own call when the leader fails', async () => {
    upstream.script({ error: { status: 400 }, latencyMs: 200 }, { text: 'Second try.' });
    const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: unique('Fragile question') }] };
    const results = await Promise.allSettled([ask(body), ask(body), ask(body)]);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
    expect(chatCalls()).toBe(2);
  });
});

describe('semantic cache', () => {
  it('serves a reworded question as a semantic hit with its similarity, and keeps different numbers apart', async () => {
    upstream.script({ text: 'Go to Settings > Security > Reset password.' });
    const system = { role: 'system' as const, content: unique('You answer questions about the Acme app.') };
    await ask({ model: 'faq', messages: [system, { role: 'user', content: 'How do I reset my password?' }] });
    const reworded = await ask({ model: 'faq', messages: [system, { role: 'user', content: 'how do i reset my password' }] });
    expect(reworded.cache).toBe('semantic-hit');
    expect(Number(reworded.headers.get('x-frugal-cache-similarity'))).toBeGreaterThanOrEqual(0.9);
    expect(reworded.data.choices[0].message.content).toBe('Go to Settings > Security > Reset password.');

    await ask({ model: 'faq', messages: [system, { role: 'user', content: 'Can I get a refund after 14 days?' }] });
    const otherNumber = await ask({ model: 'faq', messages: [system, { role: 'user', content: 'Can I get a refund after 30 days?' }] });
    expect(otherNumber.cache).toBe('miss');
    expect(chatCalls()).toBe(3);
  });

  it('is on by default for routes (virtual models), and a semantic hit costs $0 with the local embedder', async () => {
    upstream.script({ text: 'We ship worldwide.', usage: { promptTokens: 200, completionTokens: 20 } });
    const system = { role: 'system' as const, content: unique('Shop assistant.') };
    const first = await ask({ model: 'support', messages: [system, { role: 'user', content: 'Do you ship to Canada?' }] });
    const second = await ask({ model: 'support', messages: [system, { role: 'user', content: 'do you ship to canada' }] });
    expect([first.cache, second.cache]).toEqual(['miss', 'semantic-hit']);
    expect(second.data.choices[0].message.content).toBe('We ship worldwide.');
    expect(second.headers.get('x-frugal-cost')).toBe('0');
    // The hit names the route it answered for, as the miss did.
    expect([first.headers.get('x-frugal-route'), second.headers.get('x-frugal-route')]).toEqual(['support', 'support']);
    // …and the task the route's classifier gave the question that made the answer.
    expect(first.headers.get('x-frugal-task')).toBe('chat');
    expect(second.headers.get('x-frugal-task')).toBe('chat');
    const record = await ledgerRecord(second.headers.get('x-frugal-request-id')!);
    expect(record).toMatchObject({ cacheStatus: 'semantic-hit', costNano: 0, route: 'support', task: 'chat' });
    // 200 × $2.50/M + 20 × $10/M = $0.0007 saved
    expect(record.savingsNano.cache).toBe(700_000);
  });

  it('is off for real models unless configured', async () => {
    const system = { role: 'system' as const, content: unique('Plain model.') };
    await ask({ model: 'gpt-4o', messages: [system, { role: 'user', content: 'How do I reset my password?' }] });
    expect((await ask({ model: 'gpt-4o', messages: [system, { role: 'user', content: 'how do i reset my password' }] })).cache).toBe('miss');
  });
});

describe('corrupt and oversized entries', () => {
  it('treats them as misses, logs a warning and answers normally', async () => {
    const runtime = cacheRuntimeFor(frugal.gateway)!;
    const messages = [{ role: 'user' as const, content: unique('Corrupt me') }];
    const key = runtime.keys.entry({ tenant: 'default', model: 'gpt-4o', request: { model: 'gpt-4o', messages } });
    await frugal.gateway.stores.cache.set(key, '{"version":1,"response":');
    expect((await ask({ model: 'gpt-4o', messages })).cache).toBe('miss');
    expect(frugal.logs.some((line) => line.includes('cache entry unusable') && line.includes('not JSON'))).toBe(true);
    expect((await ask({ model: 'gpt-4o', messages })).cache).toBe('hit');

    const big = [{ role: 'user' as const, content: unique('Oversized') }];
    const bigKey = runtime.keys.entry({ tenant: 'default', model: 'gpt-4o', request: { model: 'gpt-4o', messages: big } });
    await frugal.gateway.stores.cache.set(bigKey, 'x'.repeat(runtime.config.max_entry_bytes + 1));
    expect((await ask({ model: 'gpt-4o', messages: big })).cache).toBe('miss');
    expect(frugal.logs.some((line) => line.includes('over max_entry_bytes'))).toBe(true);
  });
});

describe('admin API', () => {
  it('reports hit rates per route and purges by route', async () => {
    const messages = [{ role: 'user' as const, content: unique('Admin question') }];
    await ask({ model: 'faq', messages });
    await ask({ model: 'faq', messages });
    const stats = (await (await fetch(`${frugal.url}/admin/cache/stats?route=faq`)).json()) as { routes: { route: string; hits: number; hit_rate: number }[] };
    expect(stats.routes).toHaveLength(1);
    expect(stats.routes[0].hits).toBeGreaterThanOrEqual(1);
    expect(stats.routes[0].hit_rate).toBeGreaterThan(0);

    expect((await fetch(`${frugal.url}/admin/cache`, { method: 'DELETE' })).status).toBe(400);
    // An empty filter (`?prefix=$UNSET`) would match every key; it is refused, and the entry survives.
    for (const query of ['prefix=', 'route=', 'tenant=', 'all=yes']) {
      const refused = await fetch(`${frugal.url}/admin/cache?${query}`, { method: 'DELETE' });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { param: string } }).error.param).toBe(query.split('=')[0]);
    }
    expect((await ask({ model: 'faq', messages })).cache).toBe('hit');
    const purge = await fetch(`${frugal.url}/admin/cache?route=faq`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(((await purge.json()) as { purged: number }).purged).toBeGreaterThanOrEqual(1);
    expect((await ask({ model: 'faq', messages })).cache).toBe('miss');
  });
});

describe('config errors in the cache section', () => {
  const base = {
    providers: { p: { type: 'simulated' } },
    models: { 'gpt-4o': { provider: 'p' }, mini: { provider: 'p' } },
    routes: { support: { default: 'mini' } },
  };
  const issuesOf = (extra: Record<string, unknown>): string => {
    try {
      validateConfig({ ...base, ...extra }, 'test');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message;
    }
    return 'valid';
  };

  it('names an embedder or verifier model the config does not define', () => {
    expect(issuesOf({ cache: { semantic: { embedder: { model: 'embed-9', dimensions: 8 }, threshold: 0.9 } } })).toMatch(
      /cache\.semantic\.embedder\.model: unknown model 'embed-9'/,
    );
    expect(issuesOf({ cache: { semantic: { verifier: { model: 'judge-9' } } } })).toMatch(/cache\.semantic\.verifier\.model: unknown model 'judge-9'/);
  });

  it('says what an embedder is when it is neither local, static, model2vec nor { model, dimensions }', () => {
    expect(issuesOf({ cache: { semantic: { embedder: 'openai' } } })).toMatch(/cache\.semantic\.embedder: 'local', 'static', 'model2vec', or \{ model, dimensions \}/);
    expect(issuesOf({ cache: { semantic: { embedder: { model: 'gpt-4o' }, threshold: 0.9 } } })).toMatch(/cache\.semantic\.embedder: an upstream embedder is \{ model: .*, dimensions: .* \}/);
  });

  it('refuses an override that could never apply: a typo, or a name rewritten before the cache sees it', () => {
    expect(issuesOf({ cache: { overrides: { suport: { ttl_seconds: 60 } } } })).toMatch(/cache\.overrides\.suport: no model or route is called 'suport'/);
    expect(issuesOf({ rewrite: { 'gpt-4o': 'support' }, cache: { overrides: { 'gpt-4o': { enabled: false } } } })).toMatch(
      /cache\.overrides\.gpt-4o: requests for 'gpt-4o' are rewritten to 'support'.*key the override by 'support'/,
    );
    expect(issuesOf({ cache: { overrides: { support: { ttl_seconds: 60 }, mini: { enabled: false } } } })).toBe('valid');
  });
});
