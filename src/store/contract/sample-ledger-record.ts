import type { LedgerRecord } from '../types.ts';

/** A complete record with every optional part filled, so a round trip checks every column. */
export function sampleLedgerRecord(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    id: 'req_1',
    time: 1_700_000_000_000,
    tenant: 'acme',
    keyId: 'key_a',
    tags: { team: 'search', 'feature/x': 'ünïcode ✓' },
    endpoint: 'chat',
    requestedModel: 'gpt-4o',
    route: 'auto',
    task: 'summarization',
    servedModel: 'gpt-4o-mini',
    servedProvider: 'openai',
    simulated: true,
    stream: true,
    attempts: [
      {
        provider: 'openai', model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini-2024-07-18', purpose: 'tier',
        status: 'rejected', httpStatus: 200, latencyMs: 812.5, tier: 0, costNano: 12_345,
        usage: { inputTokens: 1200, cachedInputTokens: 1024, cacheWriteTokens: 0, outputTokens: 80, estimated: false },
      },
      {
        provider: 'anthropic', model: 'claude', upstreamModel: 'claude-sonnet', purpose: 'answer', status: 'error',
        httpStatus: 529, error: 'overloaded', latencyMs: 30, costNano: 0,
      },
    ],
    inputTokens: 1200,
    cachedInputTokens: 1024,
    cacheWriteTokens: 64,
    outputTokens: 80,
    usageEstimated: false,
    // Above 2^32 and near 2^53: must come back as the same JS number, not a string or a rounded float.
    costNano: 9_007_199_254_740_991,
    baselineCostNano: 4_294_967_297,
    savingsNano: { routing: 2_000_000_001, cache: 0, prompt_cache: 17 },
    latencyMs: 1234.75,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    cacheStatus: 'miss',
    trace: [{ stage: 'route', detail: 'picked gpt-4o-mini', data: { score: 0.91, candidates: ['a', 'b'] } }],
    ...overrides,
  };
}
