import type { FrugalConfig } from './schema.ts';

/**
 * What makes a valid config one the gateway cannot serve with: no model at all (every request would
 * be answered 404). `frugal config check` reports these as errors and `frugal serve` refuses to start
 * with them, in the same words. The built-in defaults always define models.
 */
export function unservableIssues(config: FrugalConfig): string[] {
  return Object.keys(config.models).length === 0 ? ['models: no model is configured; the gateway would serve nothing'] : [];
}
