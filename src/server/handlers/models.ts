import type { Gateway } from '../../gateway/build-gateway.ts';
import { formatUsd } from '../../pricing/money.ts';
import type { RouteInput } from '../router.ts';
import type { Authenticator } from '../auth.ts';
import { sendError, sendJson } from '../http-exchange.ts';

const created = Math.floor(Date.now() / 1000);

/** GET /v1/models — configured models (with prices, and `simulated` where it applies) and routes. */
export function modelsHandler(gateway: Gateway, authenticator: Authenticator) {
  return async function models({ request, response }: RouteInput): Promise<void> {
    try {
      const principal = await authenticator.authenticate(request.headers);
      const allowed = (name: string) => !principal.allowedModels || principal.allowedModels.includes(name);
      const data = [];
      for (const model of gateway.models.values()) {
        if (!allowed(model.name)) continue;
        data.push({
          id: model.name,
          object: 'model',
          created,
          owned_by: model.deployments[0]?.provider.name ?? 'frugal',
          simulated: model.simulated,
          deployments: model.deployments.map((deployment) => ({ provider: deployment.provider.name, upstream_model: deployment.upstreamModel, simulated: deployment.provider.simulated })),
          price_per_million: model.price
            ? { input: formatUsd(Number(model.price.input)), output: formatUsd(Number(model.price.output)), source: model.price.source }
            : null,
        });
      }
      for (const [name, route] of gateway.routes) {
        if (!allowed(name)) continue;
        data.push({ id: name, object: 'model', created, owned_by: 'frugal', route: true, baseline: route.baseline.name, simulated: route.baseline.simulated });
      }
      sendJson(response, 200, { object: 'list', data });
    } catch (error) {
      sendError(response, error, 'openai');
    }
  };
}
