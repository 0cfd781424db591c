import type { Logger } from 'pino';
import type { FrugalConfig } from './config/schema.ts';
import { buildGateway, type Gateway } from './gateway/build-gateway.ts';
import { listen, type RunningServer, type ServerExtensions } from './server/create-server.ts';
import { registerExtensions } from './server/register-extensions.ts';
import { isLoopbackAddress } from './server/cors.ts';

export interface StartOptions {
  config: FrugalConfig;
  configSource?: string;
  port?: number;
  host?: string;
  dataDir?: string;
  logger?: Logger;
  extensions?: ServerExtensions;
}

export interface RunningFrugal {
  gateway: Gateway;
  server: RunningServer;
  url: string;
  /** Stops accepting requests, lets in-flight ones finish, flushes the ledger, closes stores. */
  close(): Promise<void>;
}

/** The composition root: config → stores → providers → pipeline → server. */
export async function startFrugal(options: StartOptions): Promise<RunningFrugal> {
  const gateway = await buildGateway({ config: options.config, configSource: options.configSource, dataDir: options.dataDir, logger: options.logger });
  const extensions = options.extensions ?? (await registerExtensions(gateway));
  let server: RunningServer;
  try {
    server = await listen(gateway, options.port ?? options.config.server.port, options.host ?? options.config.server.host, extensions);
  } catch (error) {
    // Port taken, no permission, unknown host: release the stores (and the ledger's thread) before failing.
    await gateway.close();
    throw error;
  }
  await warnIfOpenToTheNetwork(gateway, server, options.host ?? options.config.server.host);
  let closing: Promise<void> | undefined;
  return {
    gateway,
    server,
    url: server.url,
    close() {
      closing ??= (async () => {
        await server.close();
        await gateway.close();
      })();
      return closing;
    },
  };
}

/**
 * A gateway bound to an interface other machines reach (0.0.0.0 in a container, a LAN address) that
 * requires no key lets anyone who can reach the port spend the provider credit behind it. That can be
 * intended (a private network, a sidecar), so it is a warning at start-up, not a refusal.
 */
async function warnIfOpenToTheNetwork(gateway: Gateway, server: RunningServer, host: string): Promise<void> {
  const loopback = host === 'localhost' || isLoopbackAddress(host);
  if (loopback || (await server.authenticator.keysRequired().catch(() => true))) return;
  gateway.logger.warn(
    { host },
    `Frugal listens on ${host}, which other machines may reach, and requires no key: anyone who can reach it can call your upstreams at your cost. Set gateway keys (FRUGAL_API_KEYS or auth.keys), create virtual keys, set auth.mode: required, or bind 127.0.0.1 (--host / HOST).`,
  );
}
