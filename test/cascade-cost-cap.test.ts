import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { costOf, priceFromSpec } from '../src/pricing/price-book.ts';
import { formatUsd } from '../src/pricing/money.ts';
import { routeSchema } from '../src/pipeline/route/route-config.ts';
import { compileRoutes, type RoutingPlan } from '../src/pipeline/route/route-stage.ts';
import { runCascade } from '../src/pipeline/cascade/run-cascade.ts';
import { callWorstCase, fitsUnderCap, paddedInputTokens, spentNano } from '../src/pipeline/cascade/cost-cap.ts';
import { makeTestContext } from '../src/pipeline/testing/make-test-context.ts';
import { FrugalError } from '../src/errors/frugal-error.ts';
import type { ChatRequest } from '../src/protocol/openai/chat-schema.ts';
import { countChatTokens } from '../src/tokens/count-tokens.ts';
import type { ProviderAdapter } from '../src/providers/spec.ts';
import type { ChatHandler, ModelEntry } from '../src/pipeline/types.ts';

const provider = { name: 'fake', simulated: false } as ProviderAdapter;

function model(name: string, input: string, output: string): ModelEntry {
  const price = priceFromSpec({ input, output });
  return { name, price, simulated: false, deployments: [{ provider, upstreamModel: name, price }] };
}

/**
 * A fake upstream behind the cascade: answers within the bounds a real provider honours (output ≤
 * max_tokens; input within the padded count) and charges each call at the model's price.
 */
function fakeNext(random: () => number, goodAnswers: boolean[]): ChatHandler {
  let call = 0;
  return async function fakeCall(request, context) {
    const target = context.target!;
    const judging = request.messages[0]?.role === 'system' && String(request.messages[0].content).startsWith('You grade');
    const maxOut = request.max_completion_tokens ?? request.max_tokens!;
    const promptTokens = Math.floor(random() * (paddedInputTokens(countChatTokens(request)) + 1));
    const usage = { inputTokens: promptTokens, outputTokens: Math.floor(random() * (maxOut + 1)), cachedInputTokens: 0, cacheWriteTokens: 0, estimated: false };
    const good = judging ? true : (goodAnswers[call++ % goodAnswers.length] ?? true);
    context.attempts.push({ provider: 'fake', model: target.name, upstreamModel: target.name, purpose: 'answer', status: 'ok', latencyMs: 1, usage, costNano: costOf(target.price!, usage) });
    context.served = { model: target.name, provider: 'fake', upstreamModel: target.name, simulated: false, price: target.price };
    context.usage = usage;
    const content = judging ? (good ? '9' : '2') : good ? 'A fine answer.' : '';
    return { kind: 'response', response: { id: 'x', model: target.name, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } };
  };
}


const priceArbitrary = fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 80_000 })).map(([input, output]) => [formatUsd(input * 1000), formatUsd(output * 1000)] as const);

describe('cost cap', () => {
  it('is never exceeded, whatever the prices, token counts, tiers, answers and cap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(priceArbitrary, { minLength: 2, maxLength: 4 }),
        fc.option(priceArbitrary, { nil: undefined }),
        fc.integer({ min: 1, max: 400 }),
        fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (tierPrices, judgePrice, words, maxTokens, capNano, goodAnswers, seed) => {
          const models = new Map<string, ModelEntry>();
          tierPrices.forEach(([input, output], index) => models.set(`tier-${index}`, model(`tier-${index}`, input, output)));
          if (judgePrice) models.set('judge', model('judge', judgePrice[0], judgePrice[1]));
          const config = routeSchema.parse({
            cascade: tierPrices.map((_, index) => `tier-${index}`),
            judge: judgePrice ? { model: 'judge' } : undefined,
            max_output_tokens: 300,
          });
          const route = compileRoutes({ capped: config }, models).get('capped')!;
          const plan: RoutingPlan = { route, tiers: route.cascade! };
          const context = makeTestContext({ maxCostNano: capNano, route: 'capped' });
          const request: ChatRequest = { model: 'capped', messages: [{ role: 'user', content: 'word '.repeat(words) }], ...(maxTokens ? { max_tokens: maxTokens } : {}) };
          let state = seed;
          const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
          try {
            const result = await runCascade(fakeNext(random, goodAnswers), request, context, plan);
            expect(result.tier).toBeGreaterThanOrEqual(1);
          } catch (error) {
            expect(error).toBeInstanceOf(FrugalError);
            expect((error as FrugalError).status).toBe(402);
            expect(context.attempts).toHaveLength(0);
          }
          expect(spentNano(context.attempts)).toBeLessThanOrEqual(capNano);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('admits a call exactly when spent + worst case fits', () => {
    fc.assert(
      fc.property(fc.nat(10 ** 9), fc.nat(10 ** 9), fc.nat(2 * 10 ** 9), (spent, worst, cap) => {
        expect(fitsUnderCap(spent, worst, cap)).toBe(spent + worst <= cap);
        expect(fitsUnderCap(spent, worst, undefined)).toBe(true);
      }),
    );
  });

  it('prices the worst case at the most expensive deployment of a model', () => {
    const cheap = priceFromSpec({ input: '1', output: '2' });
    const dear = priceFromSpec({ input: '3', output: '5' });
    const entry: ModelEntry = { name: 'm', price: cheap, simulated: false, deployments: [{ provider, upstreamModel: 'a', price: cheap }, { provider, upstreamModel: 'b', price: dear }] };
    // (ceil(100 × 1.25) + 16) input × $3/M + 50 output × $5/M
    expect(callWorstCase(entry, 100, 50)).toBe(141 * 3000 + 50 * 5000);
  });
});
