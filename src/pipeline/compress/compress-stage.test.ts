import { describe, expect, it } from 'vitest';
import { FrugalError } from '../../errors/frugal-error.ts';
import { priceFromSpec } from '../../pricing/price-book.ts';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { ChatHandler, ChatOutcome, RequestContext } from '../types.ts';
import { compressionConfigSchema, compressionSavingNano, createCompressStage } from './compress-stage.ts';
import { createMemoryMemoStore, createSummaryCompressor } from './summary-compressor.ts';

const manual = Array.from({ length: 120 }, (_, index) =>
  `Rule ${index + 1}: the courier desk ${['opens at nine', 'closes at five', 'accepts parcels', 'prints labels'][index % 4]} on weekday ${index % 5}.`,
).join('\n\n');
const systemPrompt = `${manual}\n\nOversized parcels above 30 kg go to gate C.`;

function request(question = 'Where do oversized parcels go?'): ChatRequest {
  return { model: 'cheap', messages: [{ role: 'system', content: systemPrompt }, { role: 'user', content: question }] };
}

function context(headers: Record<string, string> = {}): RequestContext {
  return {
    requestId: 'frg_test', startedAt: 0, startedAtMonotonic: 0, tenant: 'acme', keyId: null, tags: {},
    requestedModel: 'cheap', target: undefined, baseline: undefined, protocol: 'openai', endpoint: 'chat', stream: false,
    clientWantsUsage: false, signal: new AbortController().signal, attempts: [], trace: [], cacheStatus: 'miss',
    savings: {}, headers: {}, requestHeaders: headers, extras: {},
  } satisfies Partial<RequestContext> as RequestContext;
}

function capture(): { handler: ChatHandler; seen: ChatRequest[] } {
  const seen: ChatRequest[] = [];
  const outcome: ChatOutcome = { kind: 'response', response: { id: 'x', model: 'cheap', choices: [] } };
  return { seen, handler: async (sent) => (seen.push(sent), outcome) };
}

describe('createCompressStage', () => {
  it('is off unless the route, model or request turns it on', async () => {
    const upstream = capture();
    const handler = createCompressStage({})(upstream.handler);
    const plain = context();
    await handler(request(), plain);
    expect(upstream.seen[0]).toEqual(request());
    expect(plain.compression).toBeUndefined();
    expect(plain.headers['x-frugal-compression']).toBeUndefined();

    const optedIn = context({ 'x-frugal-compress': 'on' });
    await handler(request(), optedIn);
    const sent = upstream.seen[1].messages[0].content as string;
    expect(sent.length).toBeLessThan(systemPrompt.length / 2);
    expect(sent).toContain('Oversized parcels above 30 kg go to gate C.');
    expect(upstream.seen[1].messages[1]).toEqual(request().messages[1]);
    const { before, after } = optedIn.compression ?? { before: 0, after: 0 };
    expect(after).toBeLessThan(before);
    expect(optedIn.headers['x-frugal-compression']).toBe(`${before}/${after}`);
    expect(optedIn.trace.some((decision) => decision.stage === 'compress')).toBe(true);
  });

  it('follows per-model settings and lets the request header switch them off', async () => {
    const upstream = capture();
    const handler = createCompressStage({ settings: { models: { cheap: { enabled: true, target_ratio: 4 } } } })(upstream.handler);
    const on = context();
    await handler(request(), on);
    expect(on.compression?.after).toBeLessThan(on.compression?.before ?? 0);
    const off = context({ 'x-frugal-compress': 'off' });
    await handler(request(), off);
    expect(off.compression).toBeUndefined();
    expect(upstream.seen[1]).toEqual(request());
  });

  it('rejects a header value other than on/off', async () => {
    const handler = createCompressStage({})(capture().handler);
    await expect(handler(request(), context({ 'x-frugal-compress': 'maybe' }))).rejects.toBeInstanceOf(FrugalError);
  });

  it('charges a system prompt summary once across requests', async () => {
    let calls = 0;
    const summary = createSummaryCompressor({
      store: createMemoryMemoStore(),
      summarize: async () => {
        calls++;
        return { summary: 'Courier desk rules; oversized parcels (30 kg+) go to gate C.', costNano: 2400, usage: { inputTokens: 1500, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 20, estimated: false } };
      },
    });
    const upstream = capture();
    const handler = createCompressStage({ settings: { default: { enabled: true, mode: 'summary', min_tokens: 100 } }, summary, summaryModel: { provider: 'openai', model: 'gpt-4o-mini' } })(upstream.handler);
    const first = context();
    const second = context();
    await handler(request(), first);
    await handler(request('What time does the desk open?'), second);
    expect(calls).toBe(1);
    expect(first.attempts).toMatchObject([{ purpose: 'summary', costNano: 2400, model: 'gpt-4o-mini' }]);
    expect(second.attempts).toEqual([]);
    expect(upstream.seen[1].messages[0].content).toBe('Courier desk rules; oversized parcels (30 kg+) go to gate C.');
    expect(second.trace.at(-1)?.detail).toContain('reused');
  });

  it('rejects bad settings with an error that names the field', () => {
    expect(() => createCompressStage({ settings: { default: { target_ratio: 0.2 } } as never })).toThrow(/compression\.default\.target_ratio/);
    expect(() => createCompressStage({ settings: { routes: { docs: { roles: ['customer'] } } } as never })).toThrow(/compression\.routes\.docs\.roles\.0/);
    expect(() => createCompressStage({ settings: { models: { cheap: { mode: 'abstractive' } } } as never })).toThrow(/compression\.models\.cheap\.mode/);
    expect(() => createCompressStage({ settings: { default: { target_ration: 4 } } as never })).toThrow(/target_ration/);
    expect(compressionConfigSchema.parse({})).toMatchObject({ enabled: false, mode: 'extractive', roles: ['system', 'developer', 'tool', 'assistant'] });
  });
});

describe('compressionSavingNano', () => {
  it('prices the removed tokens at the model’s input price, exactly', () => {
    const price = priceFromSpec({ input: '2.5', output: '10' });
    expect(compressionSavingNano(5000, 1000, price)).toBe(10_000_000);
    expect(compressionSavingNano(1000, 1000, price)).toBe(0);
    expect(compressionSavingNano(1000, 900, undefined)).toBe(0);
  });
});
