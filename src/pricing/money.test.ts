import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { femtoToNano, formatUsd, parseUsdToNano, usdToNano } from './money.ts';
import { costOf, priceFromSpec, worstCaseCost, PriceBook } from './price-book.ts';

const usage = (input: number, output: number, cached = 0, cacheWrite = 0) => ({ inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: cacheWrite, outputTokens: output, estimated: false });

describe('money', () => {
  it('parses decimal amounts exactly, including ones binary floats cannot hold', () => {
    expect(parseUsdToNano('0.01')).toBe(10_000_000n);
    expect(parseUsdToNano(0.1)).toBe(100_000_000n);
    expect(parseUsdToNano(0.075)).toBe(75_000_000n);
    expect(parseUsdToNano(1e-7)).toBe(100n);
    expect(() => parseUsdToNano('abc')).toThrow();
    expect(() => parseUsdToNano('0.0000000001')).toThrow(/precision/);
  });

  it('formats nano-dollars as decimal strings', () => {
    expect(formatUsd(0)).toBe('0');
    expect(formatUsd(4_000_000)).toBe('0.004');
    expect(formatUsd(1_500_000_001)).toBe('1.500000001');
    expect(formatUsd(-10)).toBe('-0.00000001');
  });

  it('rounds half up once per request', () => {
    expect(femtoToNano(1_499_999n)).toBe(1);
    expect(femtoToNano(1_500_000n)).toBe(2);
  });

  it('format and parse round-trip for any integer nano amount', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 9e15 }), (nano) => usdToNano(formatUsd(nano)) === nano));
  });
});

describe('cost of a call', () => {
  it('a token of a $0.01 per 1M model costs 10 nano-dollars', () => {
    expect(costOf(priceFromSpec({ input: 0.01, output: 0.01 }), usage(1, 0))).toBe(10);
  });

  it('prices OpenAI cached input at the cache-read price (hand-computed)', () => {
    // gpt-4o: $2.50 in, $1.25 cached, $10 out. 10,000 in (6,000 cached), 500 out:
    // 4,000 × 2.5 + 6,000 × 1.25 + 500 × 10 = 10,000 + 7,500 + 5,000 = 22,500 micro-dollars.
    const price = priceFromSpec({ input: 2.5, output: 10, cache_read: 1.25 });
    expect(costOf(price, usage(10_000, 500, 6_000))).toBe(22_500_000);
  });

  it('prices Anthropic cache writes and reads at their own prices (hand-computed)', () => {
    // Sonnet: $3 in, $3.75 write, $0.30 read, $15 out. 50 uncached + 2,000 write + 8,000 read = 10,050 in; 300 out:
    // 50 × 3 + 2,000 × 3.75 + 8,000 × 0.30 + 300 × 15 = 150 + 7,500 + 2,400 + 4,500 = 14,550 micro-dollars.
    const price = priceFromSpec({ input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 });
    expect(costOf(price, usage(10_050, 300, 8_000, 2_000))).toBe(14_550_000);
  });

  it('applies the batch multiplier exactly', () => {
    const price = priceFromSpec({ input: 0.15, output: 0.6 });
    // (1,000 × 0.15 + 1,000 × 0.6) × 0.5 = 375 micro-dollars
    expect(costOf(price, usage(1_000, 1_000), { batch: true })).toBe(375_000);
  });

  it('sums of many small calls match the cost of their total usage when no rounding occurs', () => {
    const price = priceFromSpec({ input: 0.01, output: 0.02 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 10_000 })), { maxLength: 50 }), (calls) => {
        const sum = calls.reduce((total, [input, output]) => total + costOf(price, usage(input, output)), 0);
        const totalInput = calls.reduce((total, [input]) => total + input, 0);
        const totalOutput = calls.reduce((total, [, output]) => total + output, 0);
        return sum === costOf(price, usage(totalInput, totalOutput));
      }),
    );
  });

  it('worst case covers any actual usage within the limits', () => {
    const price = priceFromSpec({ input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 4_096 }), fc.nat(), fc.nat(), (input, maxOut, cachedSeed, writeSeed) => {
        const cached = input === 0 ? 0 : cachedSeed % (input + 1);
        const write = input - cached === 0 ? 0 : writeSeed % (input - cached + 1);
        return costOf(price, usage(input, maxOut, cached, write)) <= worstCaseCost(price, input, maxOut);
      }),
    );
  });
});

describe('price book', () => {
  it('knows maintained prices from genai-prices, and config overrides win', () => {
    const book = new PriceBook();
    const mini = book.lookup('gpt-4o-mini', 'openai');
    expect(mini?.input).toBe(150_000_000n);
    expect(mini?.cacheRead).toBe(75_000_000n);
    expect(mini?.source).toBe('genai-prices');
    book.setOverride('gpt-4o-mini', { input: 0.1, output: 0.2 });
    expect(book.lookup('gpt-4o-mini')?.input).toBe(100_000_000n);
    expect(book.lookup('no-such-model-anywhere', 'openai')).toBeUndefined();
  });
});
