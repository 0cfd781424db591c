import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { errors } from '../errors/codes.ts';
import { usdToNano } from '../pricing/money.ts';
import type { RequestContext } from '../pipeline/types.ts';
import type { Principal } from './auth.ts';

export function newRequestId(): string {
  return `frg_${randomUUID().replace(/-/g, '')}`;
}

/** Parses `x-frugal-tags: feature=support,user=42`. */
export function parseTagsHeader(value: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!value) return tags;
  for (const part of value.split(',')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0 || equals === trimmed.length - 1) {
      throw errors.invalidRequest(`x-frugal-tags must be a comma-separated list of key=value pairs; got '${trimmed}'`, 'x-frugal-tags');
    }
    tags[trimmed.slice(0, equals).trim()] = trimmed.slice(equals + 1).trim();
  }
  return tags;
}

export interface ContextInput {
  requestId: string;
  principal: Principal;
  headers: IncomingHttpHeaders;
  requestedModel: string;
  protocol: RequestContext['protocol'];
  endpoint: RequestContext['endpoint'];
  stream: boolean;
  clientWantsUsage: boolean;
  signal: AbortSignal;
  metadata?: Record<string, string> | null;
  user?: string;
}

export function createRequestContext(input: ContextInput): RequestContext {
  const tags: Record<string, string> = { ...input.metadata };
  if (input.user) tags.user = input.user;
  Object.assign(tags, parseTagsHeader(headerValue(input.headers, 'x-frugal-tags')));
  // The key's own tags win: an admin set them, and a client that could overwrite `feature=support` with a
  // tag of its choosing could move its spend off the budget that tag carries.
  Object.assign(tags, input.principal.tags);
  const context: RequestContext = {
    requestId: input.requestId,
    startedAt: Date.now(),
    startedAtMonotonic: performance.now(),
    tenant: input.principal.tenant,
    keyId: input.principal.keyId,
    tags,
    requestedModel: input.requestedModel,
    target: undefined,
    baseline: undefined,
    protocol: input.protocol,
    endpoint: input.endpoint,
    stream: input.stream,
    clientWantsUsage: input.clientWantsUsage,
    signal: input.signal,
    attempts: [],
    trace: [],
    cacheStatus: 'miss',
    savings: {},
    headers: { 'x-frugal-request-id': input.requestId },
    requestHeaders: input.headers as Record<string, string | undefined>,
    extras: {},
  };
  const maxCost = headerValue(input.headers, 'x-frugal-max-cost');
  if (maxCost !== undefined) {
    try {
      context.maxCostNano = usdToNano(maxCost);
    } catch {
      throw errors.invalidRequest(`x-frugal-max-cost must be a decimal USD amount such as 0.01; got '${maxCost}'`, 'x-frugal-max-cost');
    }
    if (context.maxCostNano < 0) throw errors.invalidRequest('x-frugal-max-cost must not be negative', 'x-frugal-max-cost');
  }
  return context;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
