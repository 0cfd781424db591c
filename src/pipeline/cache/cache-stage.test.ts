import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { priceFromSpec } from '../../pricing/price-book.ts';
import { MemoryKeyValueStore } from '../../store/memory/memory-key-value-store.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import type { ChatHandler, ChatOutcome, ModelEntry, RequestContext } from '../types.ts';
import { cacheConfigSchema } from './cache-config.ts';
import { CacheRuntime } from './cache-runtime.ts';
import { createCacheStage } from './cache-stage.ts';
import type { ProviderAdapter } from '../../providers/spec.ts';
import { localEmbedder } from './semantic/local-embedder.ts';
import { SemanticCache } from './semantic/semantic-cache.ts';

const price = priceFromSpec({ input: 1, output: 2 });
const model: ModelEntry = { name: 'm', deployments: [], price, simulated: false };

/** A terminal handler that answers "answer N" and records what the call stage would. */
function upstream() {
  let calls = 0;
  const handler: ChatHandler = async (request, context) => {
    calls += 1;
    context.served = { model: 'm', provider: 'p', upstreamModel: 'm-up', simulated: false, price };
    context.usage = { inputTokens: 100, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 10, estimated: false };
    context.attempts.push({ provider: 'p', model: 'm', upstreamModel: 'm-up', purpose: 'answer', status: 'ok', latencyMs: 1, costNano: 120 });
    return { kind: 'response', response: { id: 'x', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `answer ${calls}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 100, completion_tokens: 10 } } };
  };
  return { handler, calls: () => calls };
}

function setup(options: { config?: Record<string, unknown>; now?: () => number; semantic?: SemanticCache | null } = {}) {
  const store = new MemoryKeyValueStore();
  const runtime = new CacheRuntime({ config: cacheConfigSchema.parse(options.config ?? {}), store, models: new Map([['m', model]]), now: options.now, semantic: options.semantic ?? null });
  const fake = upstream();
  const pipeline = createCacheStage(runtime)(fake.handler);
  return { store, runtime, fake, pipeline };
}

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content }], ...extra });
const context = (overrides: Partial<RequestContext> = {}) => makeTestContext({ target: model, baseline: model, requestedModel: 'm', ...overrides });

function text(outcome: ChatOutcome): string | null | undefined {
  if (outcome.kind !== 'response') throw new Error('expected a response');
  return outcome.response.choices[0].message.content;
}

describe('cache stage', () => {
  it('isolates tenants: the same request from another tenant never hits', async () => {
    const { pipeline, fake } = setup();
    await pipeline(ask('hello'), context({ tenant: 'acme' }));
    const other = context({ tenant: 'globex' });
    expect(text(await pipeline(ask('hello'), other))).toBe('answer 2');
    expect(other.cacheStatus).toBe('miss');
    const again = context({ tenant: 'acme' });
    expect(text(await pipeline(ask('hello'), again))).toBe('answer 1');
    expect(again.cacheStatus).toBe('hit');
    expect(fake.calls()).toBe(2);
  });

  it('expires entries after the TTL on the injected clock', async () => {
    let now = 1_000_000;
    const { pipeline, fake } = setup({ config: { ttl_seconds: 60 }, now: () => now });
    await pipeline(ask('hi'), context());
    now += 59_000;
    expect((await pipeline(ask('hi'), context())) && fake.calls()).toBe(1);
    now += 2_000;
    const late = context();
    await pipeline(ask('hi'), late);
    expect(late.cacheStatus).toBe('miss');
    expect(fake.calls()).toBe(2);
  });

  it('uses the per-model TTL override', async () => {
    let now = 0;
    const { pipeline, fake } = setup({ config: { ttl_seconds: 3600, overrides: { m: { ttl_seconds: 10 } } }, now: () => now });
    await pipeline(ask('q'), context());
    now = 11_000;
    await pipeline(ask('q'), context());
    expect(fake.calls()).toBe(2);
  });

  it('prices a hit: stored usage, served model with its price, no attempts of its own', async () => {
    const { pipeline } = setup();
    await pipeline(ask('price me'), context());
    const hit = context({ baseline: undefined });
    await pipeline(ask('price me'), hit);
    expect(hit.cacheStatus).toBe('hit');
    expect(hit.attempts).toEqual([]);
    expect(hit.usage).toMatchObject({ inputTokens: 100, outputTokens: 10 });
    expect(hit.served).toMatchObject({ model: 'm', provider: 'p', upstreamModel: 'm-up' });
    // A route request has no baseline before routing: the stored answer's baseline is used.
    expect(hit.baseline?.name).toBe('m');
  });

  it('keeps answers per user with the per-user option', async () => {
    const { pipeline, fake } = setup({ config: { per_user: true } });
    await pipeline(ask('my plan?', { user: 'u1' }), context());
    await pipeline(ask('my plan?', { user: 'u2' }), context());
    await pipeline(ask('my plan?', { user: 'u1' }), context());
    expect(fake.calls()).toBe(2);
  });

  it('caches temperature > 0 only when the model is configured to', async () => {
    const { pipeline, fake } = setup({ config: { overrides: { m: { temperature_above_zero: 'cache' } } } });
    await pipeline(ask('poem', { temperature: 1 }), context());
    const second = context();
    await pipeline(ask('poem', { temperature: 1 }), second);
    expect(second.cacheStatus).toBe('hit');
    expect(fake.calls()).toBe(1);
  });

  it('reads a corrupt or wrongly shaped entry as a miss, and overwrites it', async () => {
    const { pipeline, store, runtime, fake } = setup();
    const key = runtime.keys.entry({ tenant: 'default', model: 'm', request: ask('broken') });
    await store.set(key, JSON.stringify({ version: 1, createdAt: 0, expiresAt: Number.MAX_SAFE_INTEGER, response: { nope: true } }));
    const first = context();
    expect(text(await pipeline(ask('broken'), first))).toBe('answer 1');
    expect(first.cacheStatus).toBe('miss');
    const second = context();
    expect(text(await pipeline(ask('broken'), second))).toBe('answer 1');
    expect(second.cacheStatus).toBe('hit');
    expect(fake.calls()).toBe(1);
  });

  it('coalesces identical concurrent misses into one upstream call', async () => {
    const store = new MemoryKeyValueStore();
    const runtime = new CacheRuntime({ config: cacheConfigSchema.parse({}), store, models: new Map([['m', model]]), semantic: null });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = upstream();
    const pipeline = createCacheStage(runtime)(async (request, ctx) => {
      await gate;
      return slow.handler(request, ctx);
    });
    const contexts = Array.from({ length: 5 }, () => context());
    const pending = contexts.map((ctx) => pipeline(ask('same'), ctx));
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    const outcomes = await Promise.all(pending);
    expect(slow.calls()).toBe(1);
    expect(outcomes.map(text)).toEqual(Array(5).fill('answer 1'));
    expect(contexts.map((ctx) => ctx.cacheStatus).sort()).toEqual(['hit', 'hit', 'hit', 'hit', 'miss']);
  });

  it('replays a hit to a streaming request as chunks ending with usage', async () => {
    const { pipeline } = setup();
    await pipeline(ask('stream it'), context());
    const outcome = await pipeline(ask('stream it'), context({ stream: true }));
    if (outcome.kind !== 'stream') throw new Error('expected a stream');
    const chunks: ChatChunk[] = [];
    for await (const chunk of outcome.stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('answer 1');
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 10 });
  });
});

describe('cache stage with the semantic cache', () => {
  it('serves near-duplicates within one namespace only and sets the similarity header', async () => {
    const semantic = new SemanticCache({ embedder: localEmbedder() });
    const { pipeline, fake } = setup({ config: { semantic: { enabled: 'all' } }, semantic });
    const system = { role: 'system' as const, content: 'Acme support.' };
    await pipeline({ model: 'm', messages: [system, { role: 'user', content: 'How do I reset my password?' }] }, context());
    const near = context();
    await pipeline({ model: 'm', messages: [system, { role: 'user', content: 'how do I reset my password' }] }, near);
    expect(near.cacheStatus).toBe('semantic-hit');
    expect(Number(near.headers['x-frugal-cache-similarity'])).toBeGreaterThan(0.9);
    const otherTenant = context({ tenant: 'other' });
    await pipeline({ model: 'm', messages: [system, { role: 'user', content: 'how do I reset my password' }] }, otherTenant);
    expect(otherTenant.cacheStatus).toBe('miss');
    const otherPrompt = context();
    await pipeline({ model: 'm', messages: [{ role: 'system', content: 'Globex support.' }, { role: 'user', content: 'how do I reset my password' }] }, otherPrompt);
    expect(otherPrompt.cacheStatus).toBe('miss');
    expect(fake.calls()).toBe(3);
  });

  it('charges the upstream embedding and verifier calls of a semantic hit to the request', async () => {
    const local = localEmbedder();
    const provider: ProviderAdapter = {
      specVersion: 1,
      name: 'fake',
      type: 'openai-compatible',
      priceFamily: undefined,
      simulated: false,
      async chat() {
        return { response: { id: 'v', model: 'judge', choices: [{ index: 0, message: { role: 'assistant', content: 'Yes' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1000, completion_tokens: 1 } } };
      },
      async stream() {
        throw new Error('not used');
      },
      async embed(request) {
        const texts = Array.isArray(request.input) ? (request.input as string[]) : [String(request.input)];
        const { vectors } = await local.embed(texts);
        return { model: 'embed', data: vectors.map((vector, index) => ({ index, embedding: Array.from(vector) })), usage: { prompt_tokens: 1000 } };
      },
    };
    const entry = (name: string): ModelEntry => ({ name, deployments: [{ provider, upstreamModel: name, price }], price, simulated: false });
    const models = new Map([['m', model], ['embed', entry('embed')], ['judge', entry('judge')]]);
    const config = cacheConfigSchema.parse({ semantic: { enabled: 'all', embedder: { model: 'embed', dimensions: local.dimensions }, threshold: 0.9, verifier: { model: 'judge' } } });
    const runtime = new CacheRuntime({ config, store: new MemoryKeyValueStore(), models });
    const pipeline = createCacheStage(runtime)(upstream().handler);
    const miss = context();
    await pipeline(ask('What are your opening hours?'), miss);
    // One embedding for the lookup, reused when the answer is indexed.
    expect(miss.attempts.map((attempt) => attempt.purpose)).toEqual(['embedding', 'answer']);
    const hit = context();
    await pipeline(ask('what are your opening hours'), hit);
    expect(hit.cacheStatus).toBe('semantic-hit');
    // 1000 input tokens at $1/M = $0.001 = 1,000,000 nano-dollars; the verifier's 1 output token at $2/M adds 2,000.
    expect(hit.attempts.map((attempt) => [attempt.purpose, attempt.costNano])).toEqual([['embedding', 1_000_000], ['verifier', 1_002_000]]);
  });

  it('drops a pointer whose answer is gone and answers the request normally', async () => {
    const semantic = new SemanticCache({ embedder: localEmbedder() });
    const { pipeline, store, fake, runtime } = setup({ config: { semantic: { enabled: 'all' } }, semantic });
    await pipeline(ask('Where is my parcel?'), context());
    await store.deletePrefix(runtime.keys.prefix + 'e:');
    const after = context();
    await pipeline(ask('where is my parcel'), after);
    expect(after.cacheStatus).toBe('miss');
    expect(fake.calls()).toBe(2);
  });
});
