import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const PROVIDER_KEY = 'sk-echo-provider-key-0123456789';
const PROXY_TOKEN = 'proxy-token-echo-9876543210';

/** An upstream (or a proxy in front of one) that answers every request 400 with the request's headers in its error. */
let echo: Server;
let frugal: TestGateway;

beforeAll(async () => {
  echo = createServer((request, response) => {
    request.resume();
    const message = `bad request; you sent ${JSON.stringify(request.headers)}; retry at https://upstream.example/v1?key=${PROVIDER_KEY}`;
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  frugal = await startTestGateway({
    providers: {
      oa: { type: 'openai-compatible', base_url: `${url}/v1`, api_key: PROVIDER_KEY, headers: { 'x-proxy-token': PROXY_TOKEN } },
      an: { type: 'anthropic', base_url: url, api_key: PROVIDER_KEY, headers: { 'x-proxy-token': PROXY_TOKEN } },
    },
    models: {
      'oa-model': { provider: 'oa', upstream_model: 'm', price: { input: 1, output: 1 } },
      'an-model': { provider: 'an', upstream_model: 'claude-m', price: { input: 1, output: 1 } },
    },
    cache: { enabled: false },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 2, timeout_ms: 2_000 },
  });
});

afterAll(async () => {
  await frugal?.close();
  await new Promise((resolve) => echo?.close(resolve));
});

describe('an upstream that echoes the request headers and the key in its error', () => {
  it.each([['OpenAI-compatible', 'oa-model'], ['Anthropic', 'an-model']])('%s provider: the client sees the upstream error without the key or a configured header', async (_kind, model) => {
    const openai = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const failure = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (error: unknown) => error as InstanceType<typeof OpenAI.APIError>);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    const seen = JSON.stringify(failure!.error) + failure!.message;
    expect(seen).toMatch(/bad request; you sent/);
    expect(seen).not.toContain(PROVIDER_KEY);
    expect(seen).not.toContain(PROXY_TOKEN);

    const anthropic = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
    const native = await anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).then(() => undefined, (error: unknown) => error as InstanceType<typeof Anthropic.APIError>);
    expect(native).toBeInstanceOf(Anthropic.BadRequestError);
    const nativeSeen = JSON.stringify(native!.error) + native!.message;
    expect(nativeSeen).not.toContain(PROVIDER_KEY);
    expect(nativeSeen).not.toContain(PROXY_TOKEN);
  });
});
