import { describe, expect, it } from 'vitest';
import { priceFromSpec } from '../../pricing/price-book.ts';
import type { ProviderAdapter } from '../../providers/spec.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import type { ChatHandler, ModelEntry } from '../types.ts';
import { routesSchema } from './route-config.ts';
import { compileRoutes, createRouteStage, routingPlanOf } from './route-stage.ts';

const provider = { name: 'p', simulated: true } as ProviderAdapter;
function model(name: string, input: string, output: string): ModelEntry {
  const price = priceFromSpec({ input, output });
  return { name, price, simulated: true, deployments: [{ provider, upstreamModel: name, price }] };
}
const models = new Map([model('small', '0.01', '0.01'), model('mid', '0.25', '0.25'), model('big', '2.5', '10'), model('other', '1', '1')].map((entry) => [entry.name, entry]));

const respond: ChatHandler = async (_request, context) => ({
  kind: 'response',
  response: { id: 'r', model: context.target!.name, choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] },
});

describe('compileRoutes', () => {
  it('defaults the baseline to the most expensive model of the route, and tier thresholds to 0.8 then 0.9', () => {
    const routes = compileRoutes(routesSchema.parse({ r: { cascade: ['small', 'mid', { model: 'big', threshold: 0.5 }] } }), models);
    const route = routes.get('r')!;
    expect(route.baseline.name).toBe('big');
    expect(route.cascade!.map((tier) => [tier.model.name, tier.threshold])).toEqual([
      ['small', 0.8],
      ['mid', 0.9],
      ['big', 0.5],
    ]);
  });

  it('keeps a declared baseline even when it is not a tier', () => {
    const route = compileRoutes(routesSchema.parse({ r: { default: 'small', baseline: 'other' } }), models).get('r')!;
    expect(route.baseline.name).toBe('other');
  });

  it('names the route when a check module is missing', () => {
    expect(() => compileRoutes(routesSchema.parse({ r: { cascade: ['small', 'mid'], check_module: '/nonexistent/check.js' } }), models)).toThrow(/routes\.r\.check_module: .*not found/);
  });
});

describe('route stage', () => {
  const stage = createRouteStage(
    compileRoutes(
      routesSchema.parse({
        auto: { tasks: { code: 'mid', translation: ['small', 'mid'] }, default: 'small', max_cost_usd: 0.5 },
      }),
      models,
    ),
  )(respond);

  it('maps the task to its model, falls back to `default`, and leaves real models alone', async () => {
    const code = makeTestContext({ route: 'auto' });
    await stage({ model: 'auto', messages: [{ role: 'user', content: 'Write a Python function that reverses a linked list.' }] }, code);
    expect([code.task, code.target?.name, code.headers['x-frugal-task'], code.headers['x-frugal-route']]).toEqual(['code', 'mid', 'code', 'auto']);
    expect(code.baseline?.name).toBe('mid');

    const chat = makeTestContext({ route: 'auto' });
    await stage({ model: 'auto', messages: [{ role: 'user', content: 'hey, how was your weekend?' }] }, chat);
    expect(chat.target?.name).toBe('small');

    const plain = makeTestContext({ target: models.get('big') });
    await stage({ model: 'big', messages: [{ role: 'user', content: 'hi' }] }, plain);
    expect(plain.task).toBeUndefined();
    expect(plain.target?.name).toBe('big');
  });

  it('plans a per-task cascade and keeps the stricter of the route cap and the header cap', async () => {
    const context = makeTestContext({ route: 'auto', maxCostNano: 100_000_000 });
    await stage({ model: 'auto', messages: [{ role: 'user', content: 'translate "good night" into German' }] }, context);
    expect(routingPlanOf(context)!.tiers.map((tier) => tier.model.name)).toEqual(['small', 'mid']);
    expect(context.maxCostNano).toBe(100_000_000);
    const loose = makeTestContext({ route: 'auto', maxCostNano: 5_000_000_000 });
    await stage({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }, loose);
    expect(loose.maxCostNano).toBe(500_000_000);
  });
});
