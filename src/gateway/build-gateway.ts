import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { FrugalConfig } from '../config/schema.ts';
import { PriceBook } from '../pricing/price-book.ts';
import { createProvider } from '../providers/create-provider.ts';
import type { ProviderAdapter } from '../providers/spec.ts';
import { BreakerRegistry } from '../pipeline/call/circuit-breaker.ts';
import { LedgerWriter } from '../ledger/ledger-writer.ts';
import { openStores, type OpenedStores } from '../store/open-stores.ts';
import type { ChatHandler, ModelEntry } from '../pipeline/types.ts';
import { buildModels } from './build-models.ts';
import { compileRoutes, type CompiledRoute } from '../pipeline/route/route-stage.ts';
import { buildPipeline } from './build-pipeline.ts';
import { createLogger } from '../logging/create-logger.ts';
import { openBatchSystem, type BatchSystem } from '../batch/batch-system.ts';
import { ResponseStore } from '../protocol/responses/response-store.ts';

/** Everything a running Frugal holds: built once from config by the composition root. */
export interface Gateway {
  config: FrugalConfig;
  configSource: string;
  logger: Logger;
  priceBook: PriceBook;
  providers: Map<string, ProviderAdapter>;
  models: Map<string, ModelEntry>;
  /** Routes compiled once (models resolved, weights and check modules loaded): route, budget and /v1/models share them. */
  routes: Map<string, CompiledRoute>;
  stores: OpenedStores;
  ledger: LedgerWriter;
  breakers: BreakerRegistry;
  pipeline: ChatHandler;
  /** Files/Batches API, its job store and workers (src/batch). */
  batch: BatchSystem;
  /** Stored Responses API answers (previous_response_id, GET /v1/responses/{id}); undefined when `responses.store` is false. */
  responses: ResponseStore | undefined;
  dataDir: string;
  /** Registers work to finish before the stores close (flushes of in-memory state); runs in reverse order. */
  onClose(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface BuildGatewayOptions {
  config: FrugalConfig;
  configSource?: string;
  dataDir?: string;
  logger?: Logger;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RESPONSE_SWEEP_MS = 60 * 60 * 1000;

/**
 * Stored conversations must not outlive `responses.ttl_days` on disk: an expired one is unreadable at
 * once, and its row is removed at start-up and then every hour.
 */
function sweepExpiredResponses(gateway: Gateway, responses: ResponseStore): void {
  const sweep = () => {
    responses.deleteExpired().catch((error: unknown) => gateway.logger.warn({ err: error }, 'could not remove expired stored responses'));
  };
  sweep();
  const timer = setInterval(sweep, RESPONSE_SWEEP_MS).unref();
  gateway.onClose(async () => clearInterval(timer));
}

export async function buildGateway(options: BuildGatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logging.level);
  const dataDir = options.dataDir ?? config.data_dir ?? process.env.FRUGAL_DATA_DIR ?? './.frugal';
  if (config.store === 'sqlite') mkdirSync(dataDir, { recursive: true });
  const priceBook = new PriceBook();
  const providers = new Map<string, ProviderAdapter>();
  for (const [name, providerConfig] of Object.entries(config.providers)) providers.set(name, createProvider(name, providerConfig));
  const models = buildModels(config, providers, priceBook);
  const routes = compileRoutes(config.routes, models, options.configSource);
  for (const [name, model] of models) {
    if (!model.price) logger.warn({ model: name }, 'no price known for this model: its cost will be recorded as 0; add a price in config');
    if (model.simulated) logger.info({ model: name, simulated: true }, 'model served by the SIMULATED offline provider (no real model is called)');
  }
  const stores = await openStores({
    dataDir,
    store: config.store,
    redisUrl: config.redis,
    onRedisError: (error) => logger.warn({ err: error }, 'redis connection error'),
    cache: { maxEntries: config.cache.max_entries, maxBytes: config.cache.max_bytes },
    responses: config.responses.store ? { maxEntries: config.responses.max_entries, maxBytes: config.responses.max_bytes } : undefined,
  });
  const responses = stores.responses === undefined ? undefined : new ResponseStore(stores.responses, { ttlMs: config.responses.ttl_days * DAY_MS });
  const ledger = new LedgerWriter(stores.ledger, { flushIntervalMs: config.ledger.flush_interval_ms, maxBatch: config.ledger.max_batch, logger });
  const breakers = new BreakerRegistry({ failureThreshold: config.breaker.failure_threshold, cooldownMs: config.breaker.cooldown_ms });
  const closeHooks: (() => Promise<void>)[] = [];
  const gateway: Gateway = {
    config,
    configSource: options.configSource ?? 'defaults',
    logger,
    priceBook,
    providers,
    models,
    routes,
    stores,
    ledger,
    breakers,
    dataDir,
    responses,
    pipeline: undefined as unknown as ChatHandler,
    batch: undefined as unknown as BatchSystem,
    onClose(hook) {
      closeHooks.push(hook);
    },
    async close() {
      for (const hook of closeHooks.splice(0).reverse()) {
        await hook().catch((error: unknown) => logger.warn({ err: error }, 'a shutdown step failed'));
      }
      await gateway.batch?.close();
      await ledger.close();
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
      await stores.close();
      logger.flush?.();
    },
  };
  if (responses !== undefined) sweepExpiredResponses(gateway, responses);
  gateway.pipeline = buildPipeline(gateway);
  gateway.batch = await openBatchSystem(gateway);
  return gateway;
}
