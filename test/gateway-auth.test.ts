import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { sim: { type: 'simulated' } },
    models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } } },
    auth: { keys: ['frugal-gateway-key-1'], admin_key: 'frugal-admin-key-1' },
    rewrite: { 'gpt-4o': 'small' },
  });
});
afterAll(() => frugal?.close());

describe('gateway keys', () => {
  it('requires a valid gateway key once keys are configured', async () => {
    const anonymous = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'wrong-key', maxRetries: 0 });
    await expect(anonymous.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
    const missing = await fetch(`${frugal.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error.code).toBe('missing_api_key');
    // An Anthropic client learns the header it would use, in Anthropic's envelope; that header works.
    const anthropicMissing = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anthropicMissing.status).toBe(401);
    expect(((await anthropicMissing.json()) as any).error).toMatchObject({ type: 'authentication_error', message: expect.stringContaining('x-api-key') });
    const viaHeader = await fetch(`${frugal.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'frugal-gateway-key-1' }, body: JSON.stringify({ model: 'small', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(viaHeader.status).toBe(200);
    const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'frugal-gateway-key-1', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0].message.content).toContain('simulated');
  });

  it('labels simulated answers in headers and /v1/models', async () => {
    const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'frugal-gateway-key-1', maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-frugal-simulated')).toBe('true');
    const streamed = await client.chat.completions.create({ model: 'small', messages: [{ role: 'user', content: 'stream it' }], stream: true }).withResponse();
    for await (const _chunk of streamed.data) { /* drain */ }
    expect(streamed.response.headers.get('x-frugal-simulated')).toBe('true');
    expect(streamed.response.headers.get('x-frugal-provider')).toBe('sim');
    const models = (await client.models.list()).data as unknown as { id: string; simulated?: boolean }[];
    expect(models.find((model) => model.id === 'small')?.simulated).toBe(true);
  });

  it('rewrites a real model name to a configured target without client changes', async () => {
    const client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'frugal-gateway-key-1', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.model).toBe('small');
    expect(response.headers.get('x-frugal-model')).toBe('small');
    expect(await client.models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', rewritten_to: 'small', simulated: true });
  });

  it('guards /admin with the admin key', async () => {
    expect((await fetch(`${frugal.url}/admin/requests/nope`)).status).toBe(401);
    expect((await fetch(`${frugal.url}/admin/requests/nope`, { headers: { authorization: 'Bearer frugal-gateway-key-1' } })).status).toBe(401);
    expect((await fetch(`${frugal.url}/admin/requests/nope`, { headers: { authorization: 'Bearer frugal-admin-key-1' } })).status).toBe(404);
  });
});

describe('a keyless gateway reachable from other machines', () => {
  const config = { providers: { sim: { type: 'simulated' } }, models: { small: { provider: 'sim', price: { input: 0.01, output: 0.01 } } } };
  const warned = (gateway: TestGateway) => gateway.logs.some((line) => /requires no key: anyone who can reach it/.test(line));

  it('warns at start-up when bound to all interfaces without any key, and not once a key is required or on loopback', async () => {
    const open = await startTestGateway(config, { host: '0.0.0.0' });
    const keyed = await startTestGateway({ ...config, auth: { keys: ['frugal-gateway-key-2'] } }, { host: '0.0.0.0' });
    const local = await startTestGateway(config);
    try {
      expect(warned(open)).toBe(true);
      expect(warned(keyed)).toBe(false);
      expect(warned(local)).toBe(false);
    } finally {
      await Promise.all([open.close(), keyed.close(), local.close()]);
    }
  });
});
