import { createRequire } from 'node:module';
import { femtoToNano, parseUsdToNano, type Nano } from './money.ts';
import type { TokenUsage } from './usage.ts';

/** USD per 1M tokens, as written in config (numbers or decimal strings). */
export interface PriceSpec {
  input: number | string;
  output: number | string;
  cache_read?: number | string;
  cache_write?: number | string;
  /** Multiplier applied on the provider's batch API (OpenAI and Anthropic sell batches at 0.5). */
  batch_multiplier?: number | string;
}

/** A model's exact prices in nano-dollars per 1M tokens. */
export interface ModelPrice {
  input: bigint;
  output: bigint;
  cacheRead: bigint;
  cacheWrite: bigint;
  /** Batch price multiplier as a fraction numerator/denominator pair (exact). */
  batchNumerator: bigint;
  batchDenominator: bigint;
  source: 'config' | 'genai-prices';
}

export interface CostOptions {
  batch?: boolean;
}

export function priceFromSpec(spec: PriceSpec, source: ModelPrice['source'] = 'config'): ModelPrice {
  const input = parseUsdToNano(spec.input);
  const batch = parseUsdToNano(spec.batch_multiplier ?? '0.5');
  return {
    input,
    output: parseUsdToNano(spec.output),
    // Without a stated cache price, cached tokens are charged at the full input price: never under-count.
    cacheRead: spec.cache_read === undefined ? input : parseUsdToNano(spec.cache_read),
    cacheWrite: spec.cache_write === undefined ? input : parseUsdToNano(spec.cache_write),
    batchNumerator: batch,
    batchDenominator: 1_000_000_000n,
    source,
  };
}

/** Cost of one call in nano-dollars, rounded half-up once, from the usage the provider reported. */
export function costOf(price: ModelPrice, usage: TokenUsage, options: CostOptions = {}): Nano {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  let femto =
    BigInt(uncached) * price.input +
    BigInt(usage.cachedInputTokens) * price.cacheRead +
    BigInt(usage.cacheWriteTokens) * price.cacheWrite +
    BigInt(usage.outputTokens) * price.output;
  if (options.batch) femto = (femto * price.batchNumerator) / price.batchDenominator;
  return femtoToNano(femto);
}

/** Worst-case cost of a request before it is sent: every input token uncached, `maxOutputTokens` out. */
export function worstCaseCost(price: ModelPrice, inputTokens: number, maxOutputTokens: number): Nano {
  const cacheWriteWorst = price.cacheWrite > price.input ? price.cacheWrite : price.input;
  return femtoToNano(BigInt(inputTokens) * cacheWriteWorst + BigInt(maxOutputTokens) * price.output);
}

/**
 * The price book: config overrides first (they win), then the maintained `@pydantic/genai-prices`
 * table looked up by the upstream model id and provider family.
 */
export class PriceBook {
  readonly #overrides = new Map<string, ModelPrice>();
  readonly #lookupCache = new Map<string, TablePrice | null>();

  setOverride(key: string, spec: PriceSpec): void {
    this.#overrides.set(key, priceFromSpec(spec));
  }

  /**
   * Finds the price of `model` (a Frugal model name or an upstream model id). `providerFamily` is a
   * genai-prices provider id such as "openai" or "anthropic" and only narrows the table look-up.
   */
  lookup(model: string, providerFamily?: string): ModelPrice | undefined {
    const override = this.#overrides.get(model);
    if (override) return override;
    const found = this.#table(model, providerFamily);
    return found?.inputOnly ? undefined : found?.price;
  }

  /**
   * The table's price for a model it prices by input tokens only (embedding models: genai-prices lists
   * no output price for them), with output at 0; undefined for every other model. Only for models
   * that serve /v1/embeddings, where no output token is billed.
   */
  lookupInputOnly(model: string, providerFamily?: string): ModelPrice | undefined {
    const found = this.#table(model, providerFamily);
    return found?.inputOnly ? found.price : undefined;
  }

  #table(model: string, providerFamily?: string): TablePrice | undefined {
    const cacheKey = `${providerFamily ?? ''}\u0000${model}`;
    const cached = this.#lookupCache.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    const found = lookupGenaiPrices(model, providerFamily);
    // Found prices are bounded by the table; misses are not (clients choose the names a provider pattern
    // sends here), so only the first few thousand misses are remembered.
    if (found || this.#lookupCache.size < MAX_CACHED_MISSES) this.#lookupCache.set(cacheKey, found ?? null);
    return found;
  }
}

const MAX_CACHED_MISSES = 4096;

interface TablePrice {
  price: ModelPrice;
  /** The table lists an input price and no output price (embedding models). */
  inputOnly: boolean;
}

type CalcPrice = typeof import('@pydantic/genai-prices').calcPrice;
let calcPrice: CalcPrice | undefined;

function lookupGenaiPrices(model: string, providerFamily?: string): TablePrice | undefined {
  // Loaded on first use: the table costs ~20 MB of memory, and a config that prices every model never needs it.
  calcPrice ??= (createRequire(import.meta.url)('@pydantic/genai-prices') as { calcPrice: CalcPrice }).calcPrice;
  let result;
  try {
    result = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, providerFamily ? { providerId: providerFamily } : {});
  } catch {
    return undefined;
  }
  if (!result) return undefined;
  const price = result.model_price;
  const flat = (value: unknown): number | undefined => {
    if (typeof value === 'number') return value;
    if (value && typeof value === 'object' && 'base' in value) return Number((value as { base: number }).base);
    return undefined;
  };
  const input = flat(price.input_mtok);
  const output = flat(price.output_mtok);
  if (input === undefined) return undefined;
  const spec = { input, output: output ?? 0, cache_read: flat(price.cache_read_mtok), cache_write: flat(price.cache_write_mtok) };
  return { price: priceFromSpec(spec, 'genai-prices'), inputOnly: output === undefined };
}
