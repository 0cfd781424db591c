import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { errors } from '../errors/codes.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import { configuredBudgets, keyBudgets } from '../pipeline/budget/active-budget.ts';
import { budgetStatuses } from '../pipeline/budget/budget-status.ts';
import { requireAdmin } from '../server/admin-guard.ts';
import { readJson, sendError, sendJson } from '../server/http-exchange.ts';
import type { RouteHandler, RouteInput } from '../server/router.ts';
import type { Router } from '../server/router.ts';
import { schemaError } from '../server/zod-error.ts';
import { createVirtualKey } from './create-virtual-key.ts';
import { gatewayKeys } from './gateway-keys.ts';
import { createKeyInputSchema, keyToJson, servableNames, unknownKeyModels } from './virtual-key.ts';

/**
 * Admin routes of spend governance (admin key required):
 *   POST /admin/keys          create a key; the secret is in this response and nowhere else, ever
 *   GET  /admin/keys          list keys (prefix only)
 *   DELETE /admin/keys/:id    revoke a key
 *   GET  /admin/budgets       every budget's limit, spent, reserved and period end
 */
export function registerKeysRoutes(router: Router, gateway: Gateway): void {
  const keys = gatewayKeys(gateway);
  router
    .on('POST', '/admin/keys', admin(gateway, async ({ request, response }) => {
      const parsed = createKeyInputSchema.safeParse(await readJson(request, 64 * 1024));
      if (!parsed.success) throw schemaError(parsed.error);
      const unknown = unknownKeyModels(parsed.data.models, gateway.config);
      if (unknown.length > 0) {
        throw errors.invalidRequest(`models: ${unknown.map((name) => `'${name}'`).join(', ')} is no model or route of this gateway (configured: ${servableNames(gateway.config)})`, 'models');
      }
      const created = await createVirtualKey(await keys.store(), parsed.data);
      keys.invalidate();
      gateway.logger.info({ keyId: created.key.id, tenant: created.key.tenant, name: created.key.name }, 'virtual key created');
      sendJson(response, 201, { ...keyToJson(created.key), key: created.secret });
    }))
    .on('GET', '/admin/keys', admin(gateway, async ({ response }) => {
      const list = await (await keys.store()).list();
      sendJson(response, 200, { object: 'list', data: list.map(keyToJson) });
    }))
    .on('DELETE', '/admin/keys/:id', admin(gateway, async ({ response, params }) => {
      const revoked = await (await keys.store()).revoke(params.id, Date.now());
      if (!revoked) throw errors.notFound(`Key '${params.id}'`);
      keys.invalidate();
      gateway.logger.info({ keyId: revoked.id }, 'virtual key revoked');
      sendJson(response, 200, keyToJson(revoked));
    }))
    .on('GET', '/admin/budgets', admin(gateway, async ({ response, url }) => {
      const query = z.object({ include_revoked: z.enum(['true', 'false']).optional() }).parse(Object.fromEntries(url.searchParams));
      const list = await (await keys.store()).list();
      const budgets = [
        ...configuredBudgets(gateway.config.budgets),
        ...list.filter((key) => key.revokedAt === null || query.include_revoked === 'true').flatMap(keyBudgets),
      ];
      sendJson(response, 200, { object: 'list', data: await budgetStatuses(gateway.stores.counters, budgets) });
    }));
}

function admin(gateway: Gateway, handle: (input: RouteInput) => Promise<void>): RouteHandler {
  return async function adminRoute(input: RouteInput): Promise<void> {
    try {
      requireAdmin(gateway, input.request.headers, remoteAddress(input.request));
      await handle(input);
    } catch (error) {
      if (error instanceof z.ZodError) sendError(input.response, schemaError(error), 'openai');
      else sendError(input.response, error, 'openai');
    }
  };
}

function remoteAddress(request: IncomingMessage): string | undefined {
  return request.socket.remoteAddress;
}
