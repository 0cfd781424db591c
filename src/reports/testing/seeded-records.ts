import type { LedgerRecord } from '../../store/types.ts';
import { makeAttempt, makeLedgerRecord } from './make-ledger-record.ts';

/**
 * Five records whose report figures are worked out by hand in the report tests:
 *   cost     = 1_234_567 + 0 + 3_000_000_007 + 0 + 500             = 3_001_235_074
 *   baseline = 10_000_000 + 5_000_001 + 4_000_000_000 + 0 + 2_000  = 4_015_002_001
 *   savings  = 8_765_433 + 5_000_001 + 999_999_993 + 0 + 1_500     = 1_013_766_927 (= baseline − cost)
 */
export function seededRecords(): LedgerRecord[] {
  return [
    makeLedgerRecord({
      id: 'req_a1', time: Date.UTC(2025, 0, 1, 10), tags: { feature: 'support' }, keyId: 'key_a', route: 'auto',
      requestedModel: 'gpt-4o', servedModel: 'gpt-4o-mini', costNano: 1_234_567, baselineCostNano: 10_000_000,
      savingsNano: { routing: 8_765_433 }, attempts: [makeAttempt({ model: 'gpt-4o-mini', costNano: 1_234_567 })],
      trace: [{ stage: 'route', detail: 'task chat → gpt-4o-mini', data: { score: 0.92 } }],
    }),
    makeLedgerRecord({
      id: 'req_a2', time: Date.UTC(2025, 0, 1, 11), tags: { feature: 'support' }, keyId: 'key_a',
      costNano: 0, baselineCostNano: 5_000_001, savingsNano: { cache: 5_000_001 }, cacheStatus: 'hit',
    }),
    makeLedgerRecord({
      id: 'req_b1', time: Date.UTC(2025, 0, 2, 9), tags: { feature: 'search', team: 'x' }, keyId: 'key_b', route: 'auto',
      requestedModel: 'claude', servedModel: 'claude', servedProvider: 'anthropic',
      costNano: 3_000_000_007, baselineCostNano: 4_000_000_000, savingsNano: { cascade: 999_999_993 },
      attempts: [
        makeAttempt({ purpose: 'tier', tier: 0, model: 'gpt-4o-mini', status: 'rejected', costNano: 7 }),
        makeAttempt({ purpose: 'tier', tier: 1, model: 'claude', provider: 'anthropic', costNano: 3_000_000_000, latencyMs: 2_500 }),
      ],
      trace: [{ stage: 'cascade', detail: 'tier 0 rejected by the check; escalated to claude' }],
    }),
    makeLedgerRecord({
      id: 'req_c1', time: Date.UTC(2025, 0, 2, 12), requestedModel: 'gpt-4o', servedModel: null, servedProvider: null,
      status: 'error', httpStatus: 429, errorCode: 'budget_exceeded', cacheStatus: 'bypass', inputTokens: 0, outputTokens: 0,
    }),
    makeLedgerRecord({
      id: 'req_b2', time: Date.UTC(2025, 0, 2, 13), tags: { feature: 'search' }, keyId: 'key_b', route: 'auto',
      servedModel: 'gpt-4o-mini', simulated: true, costNano: 500, baselineCostNano: 2_000,
      savingsNano: { routing: 1_000, prompt_cache: 500 }, attempts: [makeAttempt({ purpose: 'tier', tier: 0, model: 'gpt-4o-mini', costNano: 500 })],
    }),
  ];
}
