import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteInput {
  request: IncomingMessage;
  response: ServerResponse;
  params: Record<string, string>;
  url: URL;
}

export type RouteHandler = (input: RouteInput) => Promise<void> | void;

interface PatternRoute {
  method: string;
  segments: string[];
  handler: RouteHandler;
}

/** A small method + path router: exact paths in a map (the hot path), `:param` patterns after. */
export class Router {
  readonly #exact = new Map<string, RouteHandler>();
  readonly #patterns: PatternRoute[] = [];
  readonly #paths = new Set<string>();

  on(method: string, path: string, handler: RouteHandler): this {
    if (path.includes(':')) this.#patterns.push({ method, segments: path.split('/'), handler });
    else this.#exact.set(`${method} ${path}`, handler);
    this.#paths.add(path);
    return this;
  }

  /**
   * The handler for a request, or `undefined` with whether the path exists under another method. A GET
   * route also answers HEAD (node:http sends a HEAD answer's headers and drops its body).
   */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } | { handler: undefined; pathExists: boolean } {
    const found = this.#match(method, path);
    if (found.handler || method !== 'HEAD') return found;
    const asGet = this.#match('GET', path);
    return asGet.handler ? asGet : found;
  }

  #match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } | { handler: undefined; pathExists: boolean } {
    const exact = this.#exact.get(`${method} ${path}`);
    if (exact) return { handler: exact, params: {} };
    const segments = path.split('/');
    let pathExists = this.#paths.has(path);
    for (const route of this.#patterns) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params };
      pathExists = true;
    }
    return { handler: undefined, pathExists };
  }

  /**
   * The methods some route accepts on `path` (empty when no route has the path), in registration order,
   * with HEAD after GET: the `Allow` header of a 405 and the methods a CORS preflight allows.
   */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const key of this.#exact.keys()) {
      const space = key.indexOf(' ');
      if (key.slice(space + 1) === path) methods.add(key.slice(0, space));
    }
    const segments = path.split('/');
    for (const route of this.#patterns) if (matchSegments(route.segments, segments)) methods.add(route.method);
    return [...methods].flatMap((method) => (method === 'GET' && !methods.has('HEAD') ? ['GET', 'HEAD'] : [method]));
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const part = pattern[index];
    if (part.startsWith(':')) {
      if (segments[index] === '') return undefined;
      // A malformed escape ('%zz') is a path no route has; decodeURIComponent would throw, and this runs
      // outside any handler's try, where a throw takes the whole process down.
      const decoded = safeDecode(segments[index]);
      if (decoded === undefined) return undefined;
      params[part.slice(1)] = decoded;
    } else if (part !== segments[index]) return undefined;
  }
  return params;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
