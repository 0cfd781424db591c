import type { Gateway } from '../../gateway/build-gateway.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator, Principal } from '../auth.ts';
import { errors } from '../../errors/codes.ts';
import { sendError, sendJson } from '../http-exchange.ts';
import { patternModel } from '../../gateway/pattern-models.ts';

const created = Math.floor(Date.now() / 1000);
const createdAt = new Date(created * 1000).toISOString();

/** Anthropic's SDK sends `anthropic-version` on every call: its errors then come in Anthropic's envelope. */
const protocolOf = (headers: RouteInput['request']['headers']) => (headers['anthropic-version'] === undefined ? 'openai' : 'anthropic');

/**
 * GET /v1/models — configured models (with prices, and `simulated` where it applies) and routes, plus
 * the names providers' `models` patterns have served since start (`listed: false`, with the pattern). Each
 * entry carries both OpenAI's fields (`object`, `created`, `owned_by`) and Anthropic's (`type`,
 * `display_name`, `created_at`), and the list Anthropic's paging fields, so `models.list()` of either
 * SDK reads it.
 */
export function modelsHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function models({ request, response }: RouteInput): Promise<void> {
    try {
      const principal = await authenticator.authenticate(request.headers);
      const data = modelList(gateway, principal);
      sendJson(response, 200, { object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    } catch (error) {
      sendError(response, error, protocolOf(request.headers));
    }
  };
}

/**
 * GET /v1/models/{model} — one entry of the list (OpenAI's models.retrieve); a rewritten name shows its
 * target; a priced name a provider's pattern serves is answered as a chat request for it would resolve it.
 */
export function modelHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function model({ request, response, params }: RouteInput): Promise<void> {
    try {
      const principal = await authenticator.authenticate(request.headers);
      const list = modelList(gateway, principal);
      const id = params.id;
      const target = gateway.config.rewrite[id];
      let found = list.find((entry) => entry.id === id) ?? (target === undefined ? undefined : list.find((entry) => entry.id === target));
      if (!found && target === undefined && !(id in gateway.config.routes) && servedByPattern(gateway, id)) {
        found = modelList(gateway, principal).find((entry) => entry.id === id);
      }
      if (!found) throw errors.unknownModel(id, list.map((entry) => entry.id));
      sendJson(response, 200, found.id === id ? found : { ...found, id, display_name: id, rewritten_to: found.id });
    } catch (error) {
      sendError(response, error, protocolOf(request.headers));
    }
  };
}

/** True when a provider's pattern serves `name` at a known price (the entry joins gateway.models). */
function servedByPattern(gateway: Gateway, name: string): boolean {
  try {
    return patternModel(gateway, name) !== undefined;
  } catch {
    return false; // no known price: not served, so not found
  }
}

function modelList(gateway: Gateway, principal: Principal): ({ id: string } & Record<string, unknown>)[] {
  const allowed = (name: string) => !principal.allowedModels || principal.allowedModels.includes(name);
  const data: ({ id: string } & Record<string, unknown>)[] = [];
  for (const model of gateway.models.values()) {
    if (!allowed(model.name)) continue;
    data.push({
      id: model.name,
      object: 'model',
      type: 'model',
      display_name: model.name,
      created,
      created_at: createdAt,
      owned_by: model.deployments[0]?.provider.name ?? 'frugal',
      simulated: model.simulated,
      ...(model.kind ? { kind: model.kind } : {}),
      // Served through a provider's `models` pattern since a client named it: not in the config's list.
      ...(model.pattern ? { listed: false, pattern: model.pattern.pattern } : {}),
      deployments: model.deployments.map((deployment) => ({ provider: deployment.provider.name, upstream_model: deployment.upstreamModel, simulated: deployment.provider.simulated })),
      price_per_million: model.price
        ? { input: formatUsd(Number(model.price.input)), output: formatUsd(Number(model.price.output)), source: model.price.source }
        : null,
    });
  }
  for (const [name, route] of gateway.routes) {
    if (!allowed(name)) continue;
    data.push({ id: name, object: 'model', type: 'model', display_name: name, created, created_at: createdAt, owned_by: 'frugal', route: true, baseline: route.baseline.name, simulated: route.baseline.simulated });
  }
  return data;
}
