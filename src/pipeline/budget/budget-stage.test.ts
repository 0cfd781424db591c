import { describe, expect, it } from 'vitest';
import { FrugalError } from '../../errors/frugal-error.ts';
import { priceFromSpec } from '../../pricing/price-book.ts';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { MemoryCounterStore } from '../../store/memory/memory-counter-store.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import type { ChatHandler, ChatOutcome, ModelEntry, RequestContext } from '../types.ts';
import type { VirtualKey } from '../../keys/virtual-key.ts';
import { configuredBudgets } from './active-budget.ts';
import { budgetsConfigSchema } from './budget-config.ts';
import { budgetStatuses } from './budget-status.ts';
import { createBudgetStage, type BudgetStageOptions } from './budget-stage.ts';

// $1 per 1M tokens in and out: 1 token = 1,000 nano-dollars.
const paid: ModelEntry = { name: 'paid', deployments: [], price: priceFromSpec({ input: 1, output: 1 }), simulated: false };
const free: ModelEntry = { name: 'free', deployments: [], price: priceFromSpec({ input: 0, output: 0 }), simulated: false };
const models = new Map([['paid', paid], ['free', free]]);

const request: ChatRequest = { model: 'paid', messages: [{ role: 'user', content: 'hello' }], max_tokens: 100 };
const answer: ChatOutcome = { kind: 'response', response: { id: 'x', object: 'chat.completion', created: 0, model: 'paid', choices: [] } };

/** A terminal handler that charges `costNano` like an upstream call would, and counts its calls. */
function upstream(costNano: number) {
  const handler = Object.assign(
    async (_request: ChatRequest, context: RequestContext): Promise<ChatOutcome> => {
      handler.calls++;
      context.attempts.push({ provider: 'p', model: 'paid', upstreamModel: 'paid', purpose: 'answer', status: 'ok', latencyMs: 1, costNano });
      return answer;
    },
    { calls: 0 },
  );
  return handler;
}

function setup(budgets: unknown[], extra: Partial<BudgetStageOptions> = {}) {
  const counters = new MemoryCounterStore();
  const parsed = budgetsConfigSchema.parse(budgets);
  const options: BudgetStageOptions = { counters, budgets: parsed, models, routes: {}, ...extra };
  const run = (handler: ChatHandler, context: Partial<RequestContext> = {}, body: ChatRequest = request) =>
    createBudgetStage(options)(handler)(body, makeTestContext({ target: paid, baseline: paid, ...context }));
  const status = async () => budgetStatuses(counters, configuredBudgets(parsed));
  return { counters, run, status };
}

async function rejection(promise: Promise<unknown>): Promise<FrugalError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(FrugalError);
  return error as FrugalError;
}

describe('budget stage', () => {
  it('refuses a request whose worst case does not fit, before calling upstream, with 429 budget_exceeded', async () => {
    // Worst case: ~11 prompt tokens + 100 output tokens ≈ $0.000111; the limit is $0.0001.
    const { run } = setup([{ scope: 'global', limit_usd: '0.0001', period: 'day' }]);
    const handler = upstream(1_000);
    const error = await rejection(run(handler));
    expect(error.status).toBe(429);
    expect(error.code).toBe('budget_exceeded');
    expect(handler.calls).toBe(0);
  });

  it('settles the actual cost, so spent is what the upstream charged and nothing stays reserved', async () => {
    const { run, status } = setup([{ scope: 'global', limit_usd: 1, period: 'month' }]);
    await run(upstream(42_000));
    await run(upstream(8_000));
    const [global] = await status();
    expect(global.spent_nano).toBe(50_000);
    expect(global.reserved_nano).toBe(0);
    expect(global.spent_usd).toBe('0.00005');
  });

  it('keeps the reservation while a request is in flight and releases it when the request fails', async () => {
    const { run, status } = setup([{ scope: 'global', limit_usd: 1, period: 'month' }]);
    let release!: () => void;
    const failing: ChatHandler = async (_request, context) => {
      context.attempts.push({ provider: 'p', model: 'paid', upstreamModel: 'paid', purpose: 'answer', status: 'error', latencyMs: 1, costNano: 3_000 });
      await new Promise<void>((resolve) => (release = resolve));
      throw new FrugalError('upstream_failed', 502, 'upstream_error', 'boom');
    };
    const pending = run(failing);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await status())[0].reserved_nano).toBeGreaterThan(100_000);
    release();
    await expect(pending).rejects.toThrow('boom');
    const [global] = await status();
    expect(global.reserved_nano).toBe(0);
    expect(global.spent_nano).toBe(3_000);
  });

  it('never blocks a $0 model, even when the budget is spent', async () => {
    const { run } = setup([{ scope: 'global', limit_usd: 0, period: 'day' }]);
    const handler = upstream(0);
    await run(handler, { target: free, baseline: free }, { ...request, model: 'free' });
    expect(handler.calls).toBe(1);
    await expect(run(upstream(1), { target: paid, baseline: paid })).rejects.toThrow(/budget/i);
  });

  it('applies tag budgets only to requests with that tag', async () => {
    const { run } = setup([{ scope: 'tag', tag: 'feature=support', limit_usd: '0.0001', period: 'day' }]);
    await expect(run(upstream(1_000), { tags: { feature: 'support' } })).rejects.toThrow(/feature=support/);
    const other = upstream(1_000);
    await run(other, { tags: { feature: 'search' } });
    expect(other.calls).toBe(1);
  });

  it('applies tenant budgets only to that tenant and key budgets only to that key', async () => {
    const key: VirtualKey = {
      id: 'key_1', name: 'k', tenant: 'acme', prefix: 'frg-sk-abc', tags: {}, allowedModels: null, rpm: null, tpm: null,
      budgets: [{ limit_usd: '0.0001', period: 'day', mode: 'hard' }], createdAt: 0, revokedAt: null,
    };
    const keys = { byId: async (id: string) => (id === key.id ? key : undefined) };
    const { run } = setup([{ scope: 'tenant', tenant: 'beta', limit_usd: '0.0001', period: 'day' }], { keys });
    await expect(run(upstream(1), { tenant: 'beta' })).rejects.toThrow(/tenant:beta/);
    await expect(run(upstream(1), { tenant: 'acme', keyId: 'key_1' })).rejects.toThrow(/key:key_1/);
    const handler = upstream(1);
    await run(handler, { tenant: 'acme', keyId: 'key_2' });
    expect(handler.calls).toBe(1);
  });

  it('reserves nothing on any budget when one hard budget refuses (all-or-nothing)', async () => {
    const { run, status } = setup([
      { scope: 'global', limit_usd: 1, period: 'month' },
      { scope: 'tag', tag: 'feature=support', limit_usd: '0.0001', period: 'day' },
    ]);
    await expect(run(upstream(1), { tags: { feature: 'support' } })).rejects.toThrow();
    for (const budget of await status()) expect(budget.reserved_nano + budget.spent_nano).toBe(0);
  });

  it('settles a stream when it ends, and when the client stops reading early', async () => {
    const { run, status } = setup([{ scope: 'global', limit_usd: 1, period: 'month' }]);
    const streaming: ChatHandler = async (_request, context) => ({
      kind: 'stream',
      stream: (async function* (): AsyncGenerator<ChatChunk> {
        yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'paid', choices: [] };
        context.attempts.push({ provider: 'p', model: 'paid', upstreamModel: 'paid', purpose: 'answer', status: 'ok', latencyMs: 1, costNano: 7_000 });
        yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'paid', choices: [] };
      })(),
    });
    const outcome = await run(streaming);
    if (outcome.kind !== 'stream') throw new Error('expected a stream');
    expect((await status())[0].reserved_nano).toBeGreaterThan(0);
    for await (const _chunk of outcome.stream) break;
    const [global] = await status();
    expect(global.reserved_nano).toBe(0);
    expect(global.spent_nano).toBe(0);
  });

  it('soft budgets never refuse; reaching the limit logs and POSTs the webhook once per period', async () => {
    const posts: { url: string; body: Record<string, unknown> }[] = [];
    const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
      posts.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
      return new Response('ok');
    }) as typeof fetch;
    const { run } = setup([{ scope: 'global', limit_usd: '0.00001', period: 'day', mode: 'soft', webhook: 'http://hooks.test/budget' }], { fetch: fetchStub });
    for (let index = 0; index < 3; index++) await run(upstream(6_000));
    expect(posts).toHaveLength(1);
    expect(posts[0].url).toBe('http://hooks.test/budget');
    expect(posts[0].body).toMatchObject({ type: 'budget.limit_reached', limit_usd: '0.00001', spent_usd: '0.000012', budget: { id: 'global:day:soft', mode: 'soft' } });
  });

  it('does not fetch anything for a soft budget without a webhook', async () => {
    let fetched = 0;
    const fetchStub = (async () => {
      fetched++;
      return new Response('ok');
    }) as typeof fetch;
    const { run } = setup([{ scope: 'global', limit_usd: 0, period: 'day', mode: 'soft' }], { fetch: fetchStub });
    const handler = upstream(5_000);
    await run(handler);
    expect(handler.calls).toBe(1);
    expect(fetched).toBe(0);
  });

  it('does not count a request a budget refuses against the key\'s requests per minute', async () => {
    const key: VirtualKey = {
      id: 'key_both', name: 'k', tenant: 'default', prefix: 'frg-sk-abc', tags: {}, allowedModels: null, rpm: 2, tpm: null, budgets: [], createdAt: 0, revokedAt: null,
    };
    const { run } = setup([{ scope: 'tag', tag: 'feature=support', limit_usd: '0.0001', period: 'day' }], { keys: { byId: async () => key } });
    for (let index = 0; index < 3; index++) {
      const refused = await rejection(run(upstream(1_000), { keyId: key.id, tags: { feature: 'support' } }));
      expect(refused.code).toBe('budget_exceeded');
    }
    // The key's two requests per minute are still there for its other features.
    const search = upstream(0);
    await run(search, { keyId: key.id, tags: { feature: 'search' } });
    await run(search, { keyId: key.id, tags: { feature: 'search' } });
    expect(search.calls).toBe(2);
    expect((await rejection(run(upstream(0), { keyId: key.id, tags: { feature: 'search' } }))).code).toBe('rate_limit_exceeded');
  });

  it('gives the budget reservation back when the rate limit refuses', async () => {
    const key: VirtualKey = {
      id: 'key_rl2', name: 'k', tenant: 'default', prefix: 'frg-sk-abc', tags: {}, allowedModels: null, rpm: 1, tpm: null, budgets: [], createdAt: 0, revokedAt: null,
    };
    const { run, status } = setup([{ scope: 'global', limit_usd: 1, period: 'month' }], { keys: { byId: async () => key } });
    await run(upstream(0), { keyId: key.id });
    expect((await rejection(run(upstream(0), { keyId: key.id }))).code).toBe('rate_limit_exceeded');
    const [global] = await status();
    expect(global.reserved_nano).toBe(0);
  });

  it('enforces requests per minute for a key with retry-after', async () => {
    const key: VirtualKey = {
      id: 'key_rl', name: 'k', tenant: 'default', prefix: 'frg-sk-abc', tags: {}, allowedModels: null, rpm: 2, tpm: null, budgets: [], createdAt: 0, revokedAt: null,
    };
    const { run } = setup([], { keys: { byId: async () => key } });
    await run(upstream(0), { keyId: key.id });
    await run(upstream(0), { keyId: key.id });
    const error = await rejection(run(upstream(0), { keyId: key.id }));
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(Number(error.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
