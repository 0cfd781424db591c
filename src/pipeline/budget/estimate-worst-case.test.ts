import { describe, expect, it } from 'vitest';
import { priceFromSpec } from '../../pricing/price-book.ts';
import type { ModelEntry } from '../types.ts';
import { periodWindow } from './budget-period.ts';
import { DEFAULT_MAX_OUTPUT_TOKENS, estimateWorstCase } from './estimate-worst-case.ts';
import { compileRoutes } from '../route/route-stage.ts';
import { routesSchema } from '../route/route-config.ts';

const model = (name: string, input: number, output: number, fallbackOutput?: number): ModelEntry => ({
  name,
  price: priceFromSpec({ input, output }),
  simulated: false,
  deployments: fallbackOutput === undefined ? [] : [{ provider: undefined as never, upstreamModel: name, price: priceFromSpec({ input, output: fallbackOutput }) }],
});
const cheap = model('cheap', 1, 1);
const big = model('big', 10, 30);
const unpriced: ModelEntry = { name: 'unpriced', price: undefined, deployments: [], simulated: false };
const models = new Map([['cheap', cheap], ['big', big], ['unpriced', unpriced]]);

describe('estimateWorstCase', () => {
  it('charges every prompt token and max_tokens × n output tokens at the target price', () => {
    const worst = estimateWorstCase({ request: { max_tokens: 100, n: 2 }, inputTokens: 50, context: { target: big }, models, routes: {} });
    // 50 × $10/M + 200 × $30/M = $0.0005 + $0.006
    expect(worst).toBe(6_500_000);
  });

  it('assumes the default output length when max_tokens is missing', () => {
    const worst = estimateWorstCase({ request: {}, inputTokens: 0, context: { target: cheap }, models, routes: {} });
    expect(worst).toBe(DEFAULT_MAX_OUTPUT_TOKENS * 1_000);
  });

  it('uses the most expensive deployment, since fallback may serve the request there', () => {
    const worst = estimateWorstCase({ request: { max_tokens: 10 }, inputTokens: 0, context: { target: model('ha', 1, 1, 5) }, models, routes: {} });
    expect(worst).toBe(50_000);
  });

  it('for a route, uses the most expensive model the route names (or the baseline)', () => {
    const routes = { auto: { candidates: ['cheap'], tiers: [{ model: 'cheap' }] } };
    const viaRoute = estimateWorstCase({ request: { max_tokens: 10 }, inputTokens: 0, context: { route: 'auto' }, models, routes });
    expect(viaRoute).toBe(10_000);
    const withBaseline = estimateWorstCase({ request: { max_tokens: 10 }, inputTokens: 0, context: { route: 'auto', baseline: big }, models, routes });
    expect(withBaseline).toBe(300_000);
    const namesNothing = estimateWorstCase({ request: { max_tokens: 10 }, inputTokens: 0, context: { route: 'other' }, models, routes: { other: {} } });
    expect(namesNothing).toBe(300_000);
  });

  it('is 0 for a model without a price (its ledger cost is 0 too)', () => {
    expect(estimateWorstCase({ request: { max_tokens: 10 }, inputTokens: 10, context: { target: unpriced }, models, routes: {} })).toBe(0);
  });
});

describe('periodWindow', () => {
  it('uses UTC days and calendar months', () => {
    const now = Date.UTC(2025, 11, 31, 23, 59, 59);
    expect(periodWindow('day', now)).toEqual({ start: Date.UTC(2025, 11, 31), end: Date.UTC(2026, 0, 1), label: '2025-12-31' });
    expect(periodWindow('month', now)).toEqual({ start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1), label: '2025-12' });
  });
});

describe('estimateWorstCase for routes', () => {
  const judge = model('judge', 1, 1);
  const routeModels = new Map([['cheap', cheap], ['big', big], ['judge', judge]]);
  const compile = (config: Record<string, unknown>) =>
    compileRoutes(routesSchema.parse({ r: config }), routeModels).get('r')!;

  it('a cascade may call every tier, and the judge after each tier but the last', () => {
    const route = compile({ cascade: ['cheap', 'big'], judge: { model: 'judge', max_tokens: 10 }, baseline: 'big' });
    const worst = estimateWorstCase({ request: { max_tokens: 100 }, inputTokens: 50, context: { route: 'r' }, models: routeModels, routes: {}, compiledRoute: route });
    // cheap: 50 × $1 + 100 × $1 = 150 µ$; big: 50 × $10 + 100 × $30 = 3,500 µ$; judge once: (50 + 100) × $1 + 10 × $1 = 160 µ$
    expect(worst).toBe((150 + 3_500 + 160) * 1_000);
  });

  it('a task route spends at most its dearest task list', () => {
    const route = compile({ tasks: { chat: 'cheap', code: ['cheap', 'big'] }, baseline: 'big' });
    const worst = estimateWorstCase({ request: { max_tokens: 100 }, inputTokens: 50, context: { route: 'r' }, models: routeModels, routes: {}, compiledRoute: route });
    expect(worst).toBe((150 + 3_500) * 1_000);
  });
});
