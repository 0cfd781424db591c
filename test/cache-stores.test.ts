import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';
import { cacheRuntimeFor } from '../src/pipeline/cache/gateway-cache-stage.ts';
import { requireService, testRedisUrl } from '../src/store/contract/require-service.ts';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-test-cache-stores-0' });
});

afterAll(async () => {
  await upstream?.close();
});

function gatewayConfig(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    providers: { primary: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-test-cache-stores-0' } },
    models: {
      'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o', price: { input: 2.5, output: 10 } },
      faq: { provider: 'primary', upstream_model: 'faq', price: { input: 1, output: 1 } },
    },
    ...extra,
  };
}

async function ask(frugal: TestGateway, model: string, content: string) {
  const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const { data, response } = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
  return { text: data.choices[0].message.content, cache: response.headers.get('x-frugal-cache') };
}

describe('SQLite cache (the embedded default)', () => {
  it('survives a restart on the same data dir, exact and semantic entries alike', async () => {
    upstream.reset();
    const dataDir = mkdtempSync(join(tmpdir(), 'frugal-cache-restart-'));
    const config = gatewayConfig({ store: 'sqlite', cache: { overrides: { faq: { semantic: { enabled: true } } } } });
    const first = await startTestGateway(config, { dataDir });
    upstream.script({ text: 'Kept across restarts.' }, { text: 'Semantic answer.' });
    expect((await ask(first, 'gpt-4o', 'What survives a restart?')).cache).toBe('miss');
    expect((await ask(first, 'faq', 'How do I change my delivery address?')).cache).toBe('miss');
    await first.close();

    const second = await startTestGateway(config, { dataDir });
    try {
      expect(await ask(second, 'gpt-4o', 'What survives a restart?')).toEqual({ text: 'Kept across restarts.', cache: 'hit' });
      expect(await ask(second, 'faq', 'how do i change my delivery address')).toEqual({ text: 'Semantic answer.', cache: 'semantic-hit' });
      expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
    } finally {
      await second.close();
    }
  });
});

describe('answers are tied to the config that made them', () => {
  it('after a restart with a changed deployment or route, the old answers are not replayed; unchanged names still hit', async () => {
    upstream.reset();
    const dataDir = mkdtempSync(join(tmpdir(), 'frugal-cache-source-'));
    const withRoute = (config: Record<string, unknown>, model: string) => ({ ...config, routes: { helpdesk: { default: model } } });
    const before = withRoute(gatewayConfig({ store: 'sqlite' }), 'faq');
    const first = await startTestGateway(before, { dataDir });
    upstream.script({ text: 'Old faq answer.' }, { text: 'Old gpt-4o answer.' }, { text: 'Old route answer.' });
    expect((await ask(first, 'faq', 'What changed?')).cache).toBe('miss');
    expect((await ask(first, 'gpt-4o', 'What stayed?')).cache).toBe('miss');
    expect((await ask(first, 'helpdesk', 'Which tier answers?')).cache).toBe('miss');
    await first.close();

    // faq now points at another upstream model; the route sends to another model; gpt-4o is as it was.
    const changed = gatewayConfig({ store: 'sqlite' });
    (changed.models as Record<string, unknown>).faq = { provider: 'primary', upstream_model: 'faq-v2', price: { input: 1, output: 1 } };
    const second = await startTestGateway(withRoute(changed, 'gpt-4o'), { dataDir });
    try {
      upstream.script({ text: 'New faq answer.' }, { text: 'New route answer.' });
      expect(await ask(second, 'faq', 'What changed?')).toEqual({ text: 'New faq answer.', cache: 'miss' });
      expect(await ask(second, 'gpt-4o', 'What stayed?')).toEqual({ text: 'Old gpt-4o answer.', cache: 'hit' });
      expect(await ask(second, 'helpdesk', 'Which tier answers?')).toEqual({ text: 'New route answer.', cache: 'miss' });
    } finally {
      await second.close();
    }
  });
});

const redisUp = await requireService('Redis', testRedisUrl);

describe.skipIf(!redisUp)('Redis cache shared by two gateway replicas', () => {
  const keyPrefix = `cache-test-${randomUUID()}:`;
  let replicaA: TestGateway;
  let replicaB: TestGateway;

  beforeAll(async () => {
    const config = gatewayConfig({
      store: 'memory',
      redis: testRedisUrl,
      cache: { key_prefix: keyPrefix, semantic: { sync_interval_ms: 100 }, overrides: { faq: { semantic: { enabled: true } } } },
    });
    replicaA = await startTestGateway(config);
    replicaB = await startTestGateway(config);
  });

  afterAll(async () => {
    await replicaA?.gateway.stores.cache.deletePrefix(keyPrefix);
    await replicaA?.close();
    await replicaB?.close();
  });

  it('serves on one replica the answer the other one stored', async () => {
    upstream.reset();
    upstream.script({ text: 'Answered once for the fleet.' });
    expect((await ask(replicaA, 'gpt-4o', 'Shared question?')).cache).toBe('miss');
    expect(await ask(replicaB, 'gpt-4o', 'Shared question?')).toEqual({ text: 'Answered once for the fleet.', cache: 'hit' });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });

  it('shares semantic entries live: a replica already holding the namespace hits what the other stored', async () => {
    upstream.reset();
    upstream.script({ text: 'First answer.' }, { text: 'Refunds take 5 working days.' });
    // B loads the namespace (same context: no system prompt) before A stores anything in it.
    expect((await ask(replicaB, 'faq', 'Do you ship to Canada?')).cache).toBe('miss');
    expect((await ask(replicaA, 'faq', 'How long does a refund take?')).cache).toBe('miss');
    // A writes its index one second after the add; B checks the store at most every 100 ms.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await ask(replicaB, 'faq', 'how long does a refund take')).toEqual({ text: 'Refunds take 5 working days.', cache: 'semantic-hit' });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });

  describe('a purge on one replica reaches the semantic index the other holds in memory', () => {
    const askWithSystem = async (frugal: TestGateway, system: string, content: string) => {
      const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const { data, response } = await client.chat.completions
        .create({ model: 'faq', messages: [{ role: 'system', content: system }, { role: 'user', content }] })
        .withResponse();
      return { text: data.choices[0].message.content, cache: response.headers.get('x-frugal-cache') };
    };

    /** A stores a bad answer; B serves it as a semantic hit (so B holds the namespace in memory). */
    async function badAnswerOnBoth(system: string) {
      upstream.reset();
      upstream.script({ text: 'A bad answer.' }, { text: 'A fresh answer.' });
      expect((await askWithSystem(replicaA, system, 'How long does a refund take?')).cache).toBe('miss');
      // A writes its index one second after the add; write it now instead of waiting.
      await cacheRuntimeFor(replicaA.gateway)!.semantic!.flush();
      expect(await askWithSystem(replicaB, system, 'how long does a refund take')).toEqual({ text: 'A bad answer.', cache: 'semantic-hit' });
    }

    it('purge by route: B stops serving the purged answer, as a semantic or an exact hit', async () => {
      const system = `Purge by route ${randomUUID()}`;
      await badAnswerOnBoth(system);
      expect((await fetch(`${replicaA.url}/admin/cache?route=faq`, { method: 'DELETE' })).status).toBe(200);
      // The exact question is answered afresh, not from the purged entry (B checks the store every 100 ms)…
      await eventually(async () => expect(await askWithSystem(replicaB, system, 'How long does a refund take?')).toEqual({ text: 'A fresh answer.', cache: 'miss' }));
      // …and the reworded one now gets that fresh answer.
      expect(await askWithSystem(replicaB, system, 'how long does a refund take')).toEqual({ text: 'A fresh answer.', cache: 'semantic-hit' });
      expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(2);
    });

    it('purge of the semantic indexes alone (prefix s:): B stops answering from its copy within its sync interval', async () => {
      const system = `Purge of indexes ${randomUUID()}`;
      await badAnswerOnBoth(system);
      expect((await fetch(`${replicaA.url}/admin/cache?prefix=s:`, { method: 'DELETE' })).status).toBe(200);
      await eventually(async () => expect(await askWithSystem(replicaB, system, 'how long does a refund take')).toEqual({ text: 'A fresh answer.', cache: 'miss' }));
      // The answers themselves were not purged: the exact question is still an exact hit.
      expect(await askWithSystem(replicaB, system, 'How long does a refund take?')).toEqual({ text: 'A bad answer.', cache: 'hit' });
    });
  });

  it('purges on every replica through the shared store', async () => {
    upstream.reset();
    await ask(replicaA, 'gpt-4o', 'Purge me?');
    const purge = await fetch(`${replicaB.url}/admin/cache?route=gpt-4o`, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect((await ask(replicaA, 'gpt-4o', 'Purge me?')).cache).toBe('miss');
  });
});
