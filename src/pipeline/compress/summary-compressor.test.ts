import { describe, expect, it } from 'vitest';
import type { TokenUsage } from '../../pricing/usage.ts';
import { createMemoryMemoStore, createSummaryCompressor, memoStoreFromKeyValue, type Summarizer } from './summary-compressor.ts';

const usage: TokenUsage = { inputTokens: 2000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 300, estimated: false };

function countingSummarizer(costNano = 1500): { summarize: Summarizer; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    summarize: async (text) => {
      calls.push(text);
      return { summary: `summary of ${text.length} chars`, costNano, usage };
    },
  };
}

describe('createSummaryCompressor', () => {
  const prompt = 'You are the support assistant of Lumen Bikes. '.repeat(50);

  it('summarizes a system prompt once, then reuses it free of charge', async () => {
    const summarizer = countingSummarizer();
    const compressor = createSummaryCompressor({ store: createMemoryMemoStore(), summarize: summarizer.summarize });
    const first = await compressor.summarize(prompt, 'tenant-a');
    const second = await compressor.summarize(prompt, 'tenant-a');
    const third = await compressor.summarize(prompt, 'tenant-a');
    expect(summarizer.calls).toHaveLength(1);
    expect(first).toMatchObject({ chargedNano: 1500, reused: false, reuses: 0, costNano: 1500, usage });
    expect(second).toMatchObject({ summary: first.summary, chargedNano: 0, reused: true, reuses: 1, amortizedNano: 750 });
    expect(third).toMatchObject({ chargedNano: 0, reuses: 2, amortizedNano: 500 });
    expect(first.chargedNano + second.chargedNano + third.chargedNano).toBe(1500);
  });

  it('pays once when identical requests arrive together', async () => {
    const summarizer = countingSummarizer(900);
    const compressor = createSummaryCompressor({ store: createMemoryMemoStore(), summarize: summarizer.summarize });
    const results = await Promise.all([1, 2, 3, 4].map(() => compressor.summarize(prompt)));
    expect(summarizer.calls).toHaveLength(1);
    expect(results.reduce((sum, result) => sum + result.chargedNano, 0)).toBe(900);
  });

  it('keeps tenants and summarizer versions apart, and re-summarizes changed text', async () => {
    const summarizer = countingSummarizer();
    const store = createMemoryMemoStore();
    const version1 = createSummaryCompressor({ store, summarize: summarizer.summarize, summarizerId: 'cheap-model@v1' });
    const version2 = createSummaryCompressor({ store, summarize: summarizer.summarize, summarizerId: 'cheap-model@v2' });
    await version1.summarize(prompt, 'tenant-a');
    expect((await version1.summarize(prompt, 'tenant-b')).chargedNano).toBe(1500);
    expect((await version2.summarize(prompt, 'tenant-a')).chargedNano).toBe(1500);
    expect((await version1.summarize(prompt + ' Be brief.', 'tenant-a')).chargedNano).toBe(1500);
    expect(summarizer.calls).toHaveLength(4);
  });

  it('summarizes again after the stored summary expires', async () => {
    let now = 0;
    const summarizer = countingSummarizer();
    const compressor = createSummaryCompressor({ store: createMemoryMemoStore(() => now), summarize: summarizer.summarize, ttlMs: 1000 });
    await compressor.summarize(prompt);
    now = 999;
    expect((await compressor.summarize(prompt)).reused).toBe(true);
    now = 5000;
    expect((await compressor.summarize(prompt)).reused).toBe(false);
    expect(summarizer.calls).toHaveLength(2);
  });

  it('works over a key-value store with an options-object set', async () => {
    const entries = new Map<string, { value: string; ttlMs?: number }>();
    const store = memoStoreFromKeyValue({
      get: async (key) => entries.get(key)?.value,
      set: async (key, value, options) => void entries.set(key, { value, ttlMs: options?.ttlMs }),
    });
    const compressor = createSummaryCompressor({ store, summarize: countingSummarizer().summarize, ttlMs: 60_000 });
    await compressor.summarize(prompt);
    expect([...entries.values()][0].ttlMs).toBe(60_000);
    expect([...entries.keys()][0]).toMatch(/^compress:summary:v1:[0-9a-f]{64}$/);
  });
});
