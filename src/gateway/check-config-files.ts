import { ConfigError } from '../config/load-config.ts';
import type { FrugalConfig } from '../config/schema.ts';
import { buildEmbedder } from '../pipeline/cache/build-semantic-cache.ts';
import { compileRoutes } from '../pipeline/route/route-stage.ts';
import { PriceBook } from '../pricing/price-book.ts';
import { createProvider } from '../providers/create-provider.ts';
import { buildModels } from './build-models.ts';

/**
 * What `frugal serve` loads from files the config names, loaded the same way without starting
 * anything: route weights and check modules (compiled as the gateway compiles them) and the static
 * embedder's weights. `frugal config check` runs it, so a file that passes there also starts.
 * Throws a ConfigError naming the config path and the file.
 */
export async function checkConfigFiles(config: FrugalConfig, source: string): Promise<void> {
  const issues: string[] = [];
  const providers = new Map(Object.entries(config.providers).map(([name, provider]) => [name, createProvider(name, provider)] as const));
  try {
    const models = buildModels(config, providers, new PriceBook());
    try {
      compileRoutes(config.routes, models, source);
    } catch (error) {
      issues.push((error as Error).message);
    }
    if (config.cache.semantic.embedder === 'static') {
      try {
        buildEmbedder({ config: config.cache, models, timeoutMs: config.retry.timeout_ms });
      } catch (error) {
        issues.push(`cache.semantic.static_weights: ${(error as Error).message}`);
      }
    }
  } finally {
    await Promise.all([...providers.values()].map((provider) => provider.close?.()));
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
}
