import { errors } from '../errors/codes.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import { patternModel } from '../gateway/pattern-models.ts';
import { describeModelPatterns } from '../config/model-patterns.ts';
import type { RequestContext } from '../pipeline/types.ts';
import type { Principal } from './auth.ts';

/**
 * Resolves the model a client named: `rewrite` first (so apps need no code change), then a
 * configured model (target and baseline are that model), then a route (the route stage picks the
 * target), then a provider whose `models` patterns match the name (src/gateway/pattern-models.ts: the
 * first in config order serves it; a name without a known price is a 400). Anything else is a 404 listing
 * what exists and the patterns. A model whose `kind` is the other endpoint's
 * (an embeddings model asked to chat, a chat model asked for embeddings) is a 400 naming the models
 * that fit, before any upstream call. `serving` defaults from the request's endpoint.
 */
export function resolveModel(gateway: Gateway, context: RequestContext, principal: Principal, serving: 'chat' | 'embeddings' = context.endpoint === 'embeddings' ? 'embeddings' : 'chat'): void {
  const requested = context.requestedModel;
  const name = gateway.config.rewrite[requested] ?? requested;
  if (!keyMayUse(gateway, principal, requested)) {
    throw errors.forbidden(`This key may not use the model '${requested}'. Allowed: ${principal.allowedModels!.join(', ')}`);
  }
  if (name !== requested) context.trace.push({ stage: 'edge', detail: `rewrote ${requested} → ${name}` });
  const model = gateway.models.get(name) ?? (name in gateway.config.routes ? undefined : patternModel(gateway, name));
  if (model) {
    const wanted = serving === 'embeddings' ? 'embedding' : 'chat';
    if (model.kind !== undefined && model.kind !== wanted) {
      const suitable = [...gateway.models.values()].filter((entry) => entry.kind !== model.kind).map((entry) => entry.name);
      if (serving === 'chat') suitable.push(...Object.keys(gateway.config.routes));
      throw errors.wrongEndpointForModel(requested, model.kind, suitable);
    }
    context.target = model;
    const requestedModel = gateway.models.get(requested);
    context.baseline = requestedModel ?? model;
    return;
  }
  if (name in gateway.config.routes) {
    context.route = name;
    const requestedModel = gateway.models.get(requested);
    if (requestedModel) context.baseline = requestedModel;
    return;
  }
  throw errors.unknownModel(requested, availableModels(gateway), describeModelPatterns(gateway.config.providers));
}

/**
 * Whether the key may use the model or route it names (its `models` list, by the name sent or the name
 * `rewrite` makes of it). Batches check every line with it when they are created: their lines run later
 * without the key's principal, so this is where a key's `models` holds for them.
 */
export function keyMayUse(gateway: Gateway, principal: Principal, requested: string): boolean {
  if (!principal.allowedModels) return true;
  const name = gateway.config.rewrite[requested] ?? requested;
  return principal.allowedModels.includes(requested) || principal.allowedModels.includes(name);
}

export function availableModels(gateway: Gateway): string[] {
  return [...gateway.models.keys(), ...Object.keys(gateway.config.routes)];
}
