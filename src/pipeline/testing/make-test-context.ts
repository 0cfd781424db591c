import type { RequestContext } from '../types.ts';

/** A RequestContext for unit tests of a single stage; override what the test cares about. */
export function makeTestContext(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'frg_test',
    startedAt: Date.now(),
    startedAtMonotonic: performance.now(),
    tenant: 'default',
    keyId: null,
    tags: {},
    requestedModel: 'test-model',
    target: undefined,
    baseline: undefined,
    protocol: 'openai',
    endpoint: 'chat',
    stream: false,
    clientWantsUsage: false,
    signal: new AbortController().signal,
    attempts: [],
    trace: [],
    cacheStatus: 'miss',
    savings: {},
    headers: {},
    requestHeaders: {},
    extras: {},
    ...overrides,
  };
}
