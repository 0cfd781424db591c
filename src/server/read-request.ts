import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { Authenticator, Principal } from './auth.ts';
import { readJson } from './http-exchange.ts';
import { schemaError } from './zod-error.ts';

/**
 * How every API handler starts: the caller's key (401 before the body is read), then the JSON body
 * (413 over `limit`, 415/400 when it is not JSON) checked by the endpoint's schema (400 naming the field).
 */
export async function readAuthenticatedBody<T>(
  authenticator: Authenticator,
  request: IncomingMessage,
  limit: number,
  parse: (body: unknown) => z.ZodSafeParseResult<T>,
): Promise<{ principal: Principal; body: T }> {
  const principal = await authenticator.authenticate(request.headers);
  const parsed = parse(await readJson(request, limit));
  if (!parsed.success) throw schemaError(parsed.error);
  return { principal, body: parsed.data };
}
