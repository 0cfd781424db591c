import type { ProviderConfig } from '../config/schema.ts';
import { createAnthropicCachePlanner } from '../pipeline/compress/prompt-cache-planner.ts';
import { AnthropicAdapter } from './anthropic/anthropic-adapter.ts';
import { OpenAICompatibleAdapter } from './openai-compatible/openai-compatible-adapter.ts';
import { SimulatedAdapter } from './simulated/simulated-adapter.ts';
import type { CallOptions, ProviderAdapter } from './spec.ts';

/**
 * Builds the adapter for one configured provider. The only place that looks at a provider's type.
 * `timeout_ms` on the provider replaces `retry.timeout_ms` for every call to it (a slow self-hosted model
 * may need more, a fast one less); without it the callers' timeout applies.
 */
export function createProvider(name: string, config: ProviderConfig): ProviderAdapter {
  const adapter = adapterFor(name, config);
  return config.timeout_ms === undefined ? adapter : withAttemptTimeout(adapter, config.timeout_ms);
}

const timedMethods = new Set<PropertyKey>(['chat', 'stream', 'embed', 'countTokens', 'moderate']);

/** The adapter with every call's per-attempt timeout set to the provider's own. */
function withAttemptTimeout(adapter: ProviderAdapter, timeoutMs: number): ProviderAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      // Read and called on the adapter itself: its methods use private fields, which a proxy does not have.
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...parameters: unknown[]) => unknown;
      if (!timedMethods.has(property)) return method.bind(target);
      return (request: unknown, options: CallOptions) => method.call(target, request, { ...options, timeoutMs });
    },
  });
}

function adapterFor(name: string, config: ProviderConfig): ProviderAdapter {
  switch (config.type) {
    case 'openai':
    case 'openai-compatible':
      return new OpenAICompatibleAdapter({
        name,
        type: config.type,
        baseUrl: config.base_url ?? 'https://api.openai.com/v1',
        apiKey: config.api_key,
        headers: config.headers,
        priceFamily: config.price_family,
        maxConnections: config.max_connections,
        batchApi: config.batch_api ?? config.type === 'openai',
        completionsApi: config.completions_api,
      });
    case 'anthropic':
      return new AnthropicAdapter({
        name,
        baseUrl: config.base_url ?? 'https://api.anthropic.com',
        // The prompt-cache lever: breakpoints on stable prefixes, priced from the cache tokens Anthropic reports.
        planPromptCache: config.prompt_cache ? (createAnthropicCachePlanner() as (body: Record<string, unknown>) => Record<string, unknown>) : undefined,
        apiKey: config.api_key,
        headers: config.headers,
        priceFamily: config.price_family ?? 'anthropic',
        maxConnections: config.max_connections,
        batchApi: config.batch_api ?? true,
      });
    case 'simulated':
      return new SimulatedAdapter({
        name,
        latencyMs: config.simulate?.latency_ms ?? 0,
        chunkDelayMs: config.simulate?.chunk_delay_ms ?? 0,
        failureRate: config.simulate?.failure_rate ?? 0,
      });
  }
}
