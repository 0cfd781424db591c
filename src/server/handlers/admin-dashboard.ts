import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Gateway } from '../../gateway/build-gateway.ts';
import { errors } from '../../errors/codes.ts';
import type { RouteInput } from '../router.ts';
import { sendError } from '../http-exchange.ts';
import { requireAdmin } from '../admin-guard.ts';

interface Asset {
  path: string;
  contentType: string;
}

const require = createRequire(import.meta.url);
const webFile = (name: string) => fileURLToPath(new URL(`../../../web/${name}`, import.meta.url));

/**
 * Everything the dashboard loads, all served by the gateway itself (no CDN): the page, its script
 * and style from web/, and uPlot's prebuilt files straight from its npm package.
 */
const ASSETS: Record<string, Asset> = {
  'dashboard.js': { path: webFile('dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard-charts.js': { path: webFile('dashboard-charts.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: webFile('dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'uplot.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: require.resolve('uplot/dist/uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
};
const PAGE: Asset = { path: webFile('dashboard.html'), contentType: 'text/html; charset=utf-8' };

/** Scripts only from the gateway; no inline script, so injected markup cannot run. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const loaded = new Map<string, Buffer>();
function load(asset: Asset): Buffer {
  let body = loaded.get(asset.path);
  if (!body) loaded.set(asset.path, (body = readFileSync(asset.path)));
  return body;
}

/**
 * The page and its assets hold no data (every figure comes from /admin APIs, which check the admin
 * key), so with an admin key set they are served to anyone and the page asks for the key. Without
 * one, the same loopback-only rule as /admin applies.
 */
function guardStatic(gateway: Gateway, request: RouteInput['request']): void {
  if (!hasAdminKey(gateway)) requireAdmin(gateway, request.headers, request.socket.remoteAddress);
}

function hasAdminKey(gateway: Gateway): boolean {
  return Boolean(gateway.config.auth.admin_key ?? process.env.FRUGAL_ADMIN_KEY);
}

function send({ response }: RouteInput, asset: Asset, body: Buffer = load(asset)): void {
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.contentType, 'content-length': body.length, 'cache-control': 'no-cache' });
  response.end(body);
}

/** GET /dashboard — the page. */
export function dashboardPageHandler(gateway: Gateway) {
  return function dashboardPage(input: RouteInput): void {
    try {
      guardStatic(gateway, input.request);
      // Tells the page whether to ask for the key before its first /admin call (no 401 round trip).
      const page = load(PAGE).toString('utf8').replace('__FRUGAL_ADMIN_AUTH__', hasAdminKey(gateway) ? 'key' : 'open');
      send(input, PAGE, Buffer.from(page));
    } catch (error) {
      sendError(input.response, error, 'openai');
    }
  };
}

/** GET /dashboard/assets/:name — the page's script, style and the bundled uPlot. */
export function dashboardAssetHandler(gateway: Gateway) {
  return function dashboardAsset(input: RouteInput): void {
    try {
      guardStatic(gateway, input.request);
      const asset = Object.hasOwn(ASSETS, input.params.name) ? ASSETS[input.params.name] : undefined;
      if (!asset) throw errors.notFound(`Dashboard asset '${input.params.name}'`);
      send(input, asset);
    } catch (error) {
      sendError(input.response, error, 'openai');
    }
  };
}
