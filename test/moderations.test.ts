import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const OPENAI_KEY = 'sk-moderation-SECRET-4455667788';
let openai: FakeUpstream;
let other: FakeUpstream;
let frugal: TestGateway;
let simulatedOnly: TestGateway;
let noModeration: TestGateway;
let governed: TestGateway;
const ADMIN_KEY = 'admin-key-for-moderation-limits-0123';

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  other = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: {
      // An OpenAI-compatible aggregator comes first: moderations still go to the `type: openai` provider.
      aggregator: { type: 'openai-compatible', base_url: other.url, api_key: 'sk-other-0000000' },
      openai: { type: 'openai', base_url: openai.url, api_key: OPENAI_KEY },
    },
    models: { mini: { provider: 'openai', upstream_model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } } },
  });
  simulatedOnly = await startTestGateway({ providers: { sim: { type: 'simulated' } }, models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } } } });
  governed = await startTestGateway({
    auth: { admin_key: ADMIN_KEY },
    providers: { openai: { type: 'openai', base_url: openai.url, api_key: OPENAI_KEY } },
    models: { mini: { provider: 'openai', upstream_model: 'gpt-4o-mini', price: { input: 0.15, output: 0.6 } } },
  });
  noModeration = await startTestGateway({ providers: { aggregator: { type: 'openai-compatible', base_url: other.url, api_key: 'sk-other-0000000' } }, models: { m: { provider: 'aggregator', price: { input: 1, output: 1 } } } });
});
afterEach(() => {
  openai.reset();
  other.reset();
});
afterAll(async () => {
  await Promise.all([frugal?.close(), simulatedOnly?.close(), noModeration?.close(), governed?.close()]);
  await Promise.all([openai?.close(), other?.close()]);
});

const client = (gateway: TestGateway) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('POST /v1/moderations', () => {
  it("forwards the client's body to the OpenAI provider with its key and returns its verdicts, at no cost", async () => {
    const { data, response } = await client(frugal).moderations.create({ model: 'omni-moderation-latest', input: ['I will attack the castle', 'good morning'] }).withResponse();
    expect(data.results.map((result) => result.flagged)).toEqual([true, false]);
    const sent = openai.requestsTo('/v1/moderations');
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toEqual({ model: 'omni-moderation-latest', input: ['I will attack the castle', 'good morning'] });
    expect(sent[0].headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(other.requests).toHaveLength(0);
    expect(response.headers.get('x-frugal-provider')).toBe('openai');
    expect(response.headers.get('x-frugal-cost')).toBe('0');
  });

  it("keeps an upstream refusal's status and turns a failure into a 502 without the key", async () => {
    openai.script({ error: { status: 400, message: 'input too long' } });
    await expect(client(frugal).moderations.create({ input: 'x' })).rejects.toMatchObject({ status: 400 });
    openai.script({ error: { status: 500, message: 'boom' } });
    const failed = await fetch(`${frugal.url}/v1/moderations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'x' }) });
    expect(failed.status).toBe(502);
    expect(await failed.text()).not.toContain(OPENAI_KEY);
  });

  it('answers offline from the simulated provider (nothing flagged, labelled simulated)', async () => {
    const { data, response } = await client(simulatedOnly).moderations.create({ input: 'I will attack the castle' }).withResponse();
    expect(data.results).toHaveLength(1);
    expect(data.results[0].flagged).toBe(false);
    expect(response.headers.get('x-frugal-simulated')).toBe('true');
  });

  it('refuses what a client can get wrong, and says when no provider serves moderations', async () => {
    await expect(client(frugal).moderations.create({ input: [] as string[] })).rejects.toMatchObject({ status: 400, error: { param: 'input' } });
    await expect(client(noModeration).moderations.create({ input: 'x' })).rejects.toMatchObject({ status: 404, error: { code: 'moderation_unavailable' } });
    expect(openai.requests).toHaveLength(0);
    expect(other.requests).toHaveLength(0);
  });

  it("counts against the virtual key's requests per minute, like every other request of the key", async () => {
    const created = await fetch(`${governed.url}/admin/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ name: 'moderation-rpm', rpm: 3 }) });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const limited = new OpenAI({ baseURL: `${governed.url}/v1`, apiKey: key, maxRetries: 0 });
    await limited.moderations.create({ input: 'one' });
    // Anthropic's token counter (free too) is a request of the key as well.
    const counted = await fetch(`${governed.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'hello' }] }) });
    expect(counted.status).toBe(200);
    await limited.moderations.create({ input: 'three' });
    const sentBefore = openai.requestsTo('/v1/moderations').length;
    await expect(limited.moderations.create({ input: 'four' })).rejects.toMatchObject({ status: 429, error: { code: 'rate_limit_exceeded' } });
    const refusedCount = await fetch(`${governed.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'mini', messages: [{ role: 'user', content: 'hello' }] }) });
    expect(refusedCount.status).toBe(429);
    expect(Number(refusedCount.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refusedCount.json()) as { type: string; error: { type: string } }).type).toBe('error');
    expect(openai.requestsTo('/v1/moderations')).toHaveLength(sentBefore);
  });
});
