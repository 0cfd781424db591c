import type { FrugalConfig, ModelConfig } from '../config/schema.ts';
import { PriceBook, priceFromSpec } from '../pricing/price-book.ts';
import type { ProviderAdapter } from '../providers/spec.ts';
import type { ModelEntry } from '../pipeline/types.ts';

/**
 * Turns the `models` section into ModelEntries. A model's price comes from its deployment's config,
 * then the model's config (the seeds' price list is such an override set), then the maintained
 * genai-prices table for the upstream model id.
 */
export function buildModels(config: FrugalConfig, providers: Map<string, ProviderAdapter>, priceBook: PriceBook): Map<string, ModelEntry> {
  const models = new Map<string, ModelEntry>();
  for (const [name, model] of Object.entries(config.models)) models.set(name, buildModelEntry(name, model, providers, priceBook));
  return models;
}

/**
 * One ModelEntry from one model spec, as written under `models:` — also used for names a provider's
 * `models` patterns serve (src/gateway/pattern-models.ts), so those behave exactly like configured ones.
 * A model of kind `embedding` with no price anywhere else takes the table's input-only price
 * (genai-prices lists embedding models with no output price).
 */
export function buildModelEntry(name: string, model: ModelConfig, providers: Map<string, ProviderAdapter>, priceBook: PriceBook): ModelEntry {
  if (model.price) priceBook.setOverride(name, model.price);
  const specs = model.deployments ?? [{ provider: model.provider!, upstream_model: model.upstream_model, price: undefined }];
  const deployments = specs.map((spec) => {
    const provider = providers.get(spec.provider)!;
    const upstreamModel = spec.upstream_model ?? (model.deployments ? name : (model.upstream_model ?? name));
    const price = spec.price
      ? priceFromSpec(spec.price)
      : (priceBook.lookup(name) ??
        priceBook.lookup(upstreamModel, provider.priceFamily) ??
        (model.kind === 'embedding' ? priceBook.lookupInputOnly(upstreamModel, provider.priceFamily) : undefined));
    return { provider, upstreamModel, price };
  });
  return {
    name,
    deployments,
    price: deployments.find((deployment) => deployment.price)?.price,
    simulated: deployments.every((deployment) => deployment.provider.simulated),
    ...(model.kind ? { kind: model.kind } : {}),
  };
}
