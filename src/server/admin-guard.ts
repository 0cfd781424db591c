import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Gateway } from '../gateway/build-gateway.ts';
import { errors } from '../errors/codes.ts';
import { FrugalError } from '../errors/frugal-error.ts';
import { presentedKey } from './auth.ts';
import { isLoopbackAddress, isLoopbackOrAddress } from './cors.ts';

/**
 * Guards /admin/* and the dashboard. With an admin key set (config `auth.admin_key` or
 * FRUGAL_ADMIN_KEY) it must be presented; without one, admin is open only to loopback clients.
 */
export function requireAdmin(gateway: Gateway, headers: IncomingHttpHeaders, remoteAddress?: string): void {
  const adminKey = gateway.config.auth.admin_key ?? process.env.FRUGAL_ADMIN_KEY;
  if (!adminKey) {
    // Without an admin key only loopback clients get in; an unknown address (socket already gone) does not.
    // Behind a reverse proxy on the same host every client looks local: set an admin key there.
    if (!remoteAddress || !isLoopbackAddress(remoteAddress)) throw errors.forbidden('Admin API is only open to localhost until an admin key is set (FRUGAL_ADMIN_KEY)');
    // A web page whose own name was re-pointed at 127.0.0.1 (DNS rebinding) connects from loopback too, but its
    // Host names the page's site: only a request addressed to a loopback name or an address is the local user's.
    const host = headers.host;
    if (host !== undefined && !isLoopbackOrAddress(host)) {
      throw errors.forbidden(`Admin API is only open to localhost until an admin key is set (FRUGAL_ADMIN_KEY): this request is addressed to '${host}', not to a loopback name or address`);
    }
    return;
  }
  const key = presentedKey(headers);
  // Same codes as the API's key errors, but saying which key: people often try their virtual key here.
  if (!key) throw new FrugalError('missing_api_key', 401, 'authentication_error', 'The admin API needs the admin key (FRUGAL_ADMIN_KEY or auth.admin_key): send it as "Authorization: Bearer <admin key>".');
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (!timingSafeEqual(digest(key), digest(adminKey))) {
    throw new FrugalError('invalid_api_key', 401, 'authentication_error', 'Invalid admin key. The admin API takes the admin key (FRUGAL_ADMIN_KEY or auth.admin_key), not a gateway or virtual key.');
  }
}
