import type { Attempt } from '../../pipeline/types.ts';
import type { LedgerRecord } from '../../store/types.ts';

let sequence = 0;

/** A successful, unremarkable ledger record for report and dashboard tests; override what matters. */
export function makeLedgerRecord(overrides: Partial<LedgerRecord> = {}): LedgerRecord {
  sequence++;
  return {
    id: `req_test_${String(sequence).padStart(6, '0')}`,
    time: Date.UTC(2025, 0, 1, 12),
    tenant: 'default',
    keyId: null,
    tags: {},
    endpoint: 'chat',
    requestedModel: 'gpt-4o',
    route: null,
    task: null,
    servedModel: 'gpt-4o',
    servedProvider: 'openai',
    simulated: false,
    stream: false,
    attempts: [],
    inputTokens: 100,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 20,
    usageEstimated: false,
    costNano: 0,
    baselineCostNano: 0,
    savingsNano: {},
    latencyMs: 120,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    cacheStatus: 'miss',
    trace: [],
    ...overrides,
  };
}

/** One upstream attempt for a test record. */
export function makeAttempt(overrides: Partial<Attempt> = {}): Attempt {
  return {
    provider: 'openai',
    model: 'gpt-4o',
    upstreamModel: 'gpt-4o',
    purpose: 'answer',
    status: 'ok',
    httpStatus: 200,
    latencyMs: 100,
    costNano: 0,
    ...overrides,
  };
}
