import { ConfigError } from '../config/load-config.ts';
import type { FrugalConfig } from '../config/schema.ts';
import { unservableIssues } from '../config/servable.ts';
import { buildEmbedder } from '../pipeline/cache/build-semantic-cache.ts';
import { compileRoutes } from '../pipeline/route/route-stage.ts';
import { PriceBook } from '../pricing/price-book.ts';
import { createProvider } from '../providers/create-provider.ts';
import { buildModels } from './build-models.ts';

/**
 * What `frugal serve` loads from files the config names, loaded the same way without starting
 * anything: route weights and check modules (compiled as the gateway compiles them) and the static
 * embedder's weights. `frugal config check` runs it, so a file that passes there also starts.
 * Throws a ConfigError naming the config path and the file; also an error: no model at all (the
 * gateway would serve nothing). Gives back warnings: a model, or a fallback deployment, with no known
 * price (neither in config nor in the price book), whose calls the ledger records as costing 0.
 */
export async function checkConfigFiles(config: FrugalConfig, source: string): Promise<{ warnings: string[] }> {
  const issues: string[] = unservableIssues(config);
  const warnings: string[] = [];
  const providers = new Map(Object.entries(config.providers).map(([name, provider]) => [name, createProvider(name, provider)] as const));
  try {
    const models = buildModels(config, providers, new PriceBook());
    for (const [name, model] of models) {
      if (!model.price) {
        warnings.push(`models.${name}: no price known (none in config, none in the price book for '${model.deployments[0]?.upstreamModel ?? name}'); its calls will be recorded as costing 0 — add price: { input, output } (USD per 1M tokens)`);
        continue;
      }
      model.deployments.forEach((deployment, index) => {
        if (!deployment.price) warnings.push(`models.${name}.deployments.${index}: no price known for '${deployment.upstreamModel}' on ${deployment.provider.name}; calls that fall back to it will be recorded as costing 0 — add price: { input, output } (USD per 1M tokens)`);
      });
    }
    try {
      compileRoutes(config.routes, models, source);
    } catch (error) {
      issues.push((error as Error).message);
    }
    const { embedder } = config.cache.semantic;
    if (embedder === 'static' || embedder === 'model2vec') {
      try {
        buildEmbedder({ config: config.cache, models, timeoutMs: config.retry.timeout_ms });
      } catch (error) {
        issues.push(`cache.semantic.${embedder === 'static' ? 'static_weights' : 'model_dir'}: ${(error as Error).message}`);
      }
    }
  } finally {
    await Promise.all([...providers.values()].map((provider) => provider.close?.()));
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { warnings };
}
