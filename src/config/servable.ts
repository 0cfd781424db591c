import type { FrugalConfig } from './schema.ts';

/**
 * What makes a valid config one the gateway cannot serve with: no model at all and no provider `models`
 * pattern (every request would be answered 404). `frugal config check` reports these as errors and `frugal serve` refuses to start
 * with them, in the same words. The built-in defaults always define models.
 */
export function unservableIssues(config: FrugalConfig): string[] {
  const patterns = Object.values(config.providers).some((provider) => (provider.models?.length ?? 0) > 0);
  return Object.keys(config.models).length === 0 && !patterns ? ['models: no model is configured; the gateway would serve nothing'] : [];
}
