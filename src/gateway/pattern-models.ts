import { providerForModelName } from '../config/model-patterns.ts';
import { errors } from '../errors/codes.ts';
import type { ModelEntry } from '../pipeline/types.ts';
import type { Gateway } from './build-gateway.ts';
import { buildModelEntry } from './build-models.ts';

/**
 * The model entry for a name no `models:` entry, route or rewrite claims, served by the first provider
 * (config order) whose `models` patterns match it, with `upstream_model` = the name; undefined when no
 * pattern matches. The entry is built by the same code as a configured model with no price (priced from
 * the price book for the provider's price family) and added to `gateway.models`, so the ledger, headers,
 * cache keys, budgets, rate limits and key restrictions treat it exactly like a configured one.
 *
 * Kind: a name starting with `text-embedding`, or one the price book prices by input tokens only, is an
 * embedding model; everything else chats. A name the price book cannot price is refused (400
 * `model_not_priced`) and never added, so the map grows only by names with a real price-book entry — a few
 * hundred at most, however many made-up names clients send.
 */
export function patternModel(gateway: Pick<Gateway, 'config' | 'providers' | 'priceBook' | 'models'>, name: string): ModelEntry | undefined {
  const match = providerForModelName(gateway.config.providers, name);
  if (!match) return undefined;
  const provider = gateway.providers.get(match.provider)!;
  const { priceBook } = gateway;
  const fullyPriced = priceBook.lookup(name) ?? priceBook.lookup(name, provider.priceFamily);
  const embedding = name.startsWith('text-embedding') || (fullyPriced === undefined && priceBook.lookupInputOnly(name, provider.priceFamily) !== undefined);
  const entry = buildModelEntry(name, { provider: match.provider, upstream_model: name, kind: embedding ? 'embedding' : 'chat' }, gateway.providers, priceBook);
  if (!entry.price) throw errors.modelNotPriced(name, match.provider, match.pattern);
  entry.pattern = match;
  gateway.models.set(name, entry);
  return entry;
}
