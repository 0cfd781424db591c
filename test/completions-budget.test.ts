// A native completions request with best_of makes the upstream generate best_of answers and bill them all:
// a hard budget must reserve for all of them before the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let vllm: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  vllm = await startFakeOpenAI({ apiKey: 'sk-vllm-budget-0000000' });
  frugal = await startTestGateway({
    providers: { vllm: { type: 'openai-compatible', base_url: vllm.url, api_key: 'sk-vllm-budget-0000000', completions_api: true } },
    // $1,000 per 1M output tokens: one output token is $0.001; input is free.
    models: { 'llama-base': { provider: 'vllm', upstream_model: 'meta-llama/Llama-3.1-8B', price: { input: 0, output: 1000 } } },
    // $0.03: 10 output tokens ($0.01) fit, 5 × 10 ($0.05) do not.
    budgets: [{ scope: 'global', limit_usd: '0.03', period: 'day', mode: 'hard' }],
    cache: { enabled: false },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await frugal?.close();
  await vllm?.close();
});

describe('budgets on native completions with best_of', () => {
  it('reserves max_tokens × best_of: a request whose best_of answers could overspend the budget is refused before the call', async () => {
    vllm.script({ text: 'ok', usage: { promptTokens: 3, completionTokens: 2 } });
    await client.completions.create({ model: 'llama-base', prompt: 'Say ok', max_tokens: 10 });
    expect(vllm.requestsTo('/v1/completions')).toHaveLength(1);
    await expect(client.completions.create({ model: 'llama-base', prompt: 'Say ok again', max_tokens: 10, best_of: 5 })).rejects.toMatchObject({
      status: 429,
      error: { code: 'budget_exceeded' },
    });
    expect(vllm.requestsTo('/v1/completions')).toHaveLength(1);
  });
});
