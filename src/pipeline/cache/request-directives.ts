/** What a request allows the cache to do. */
export interface CacheDirectives {
  /** May a stored answer be served? (`no-cache` and `no-store` say no.) */
  read: boolean;
  /** May this request's answer be stored? (`no-store` says no.) */
  write: boolean;
}

/**
 * Reads `Cache-Control` and `x-frugal-cache` request headers (comma-separated tokens, any case):
 * `no-store` — neither read nor write (the request is a bypass); `no-cache` — do not serve a stored
 * answer, but store the fresh one (a refresh). Unknown tokens are ignored, as HTTP caches do.
 */
export function parseCacheDirectives(headers: Record<string, string | string[] | undefined>): CacheDirectives {
  const tokens = new Set<string>();
  for (const name of ['cache-control', 'x-frugal-cache']) {
    const value = headers[name];
    const text = Array.isArray(value) ? value.join(',') : value;
    if (!text) continue;
    for (const token of text.split(',')) tokens.add(token.trim().toLowerCase());
  }
  if (tokens.has('no-store')) return { read: false, write: false };
  if (tokens.has('no-cache')) return { read: false, write: true };
  return { read: true, write: true };
}
