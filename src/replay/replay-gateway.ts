import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { FrugalConfig } from '../config/schema.ts';
import { buildGateway, type Gateway } from '../gateway/build-gateway.ts';
import type { LedgerRecord } from '../store/types.ts';
import { ReplayAdapter } from './replay-adapter.ts';
import type { ReplayOutcomes } from './replay-outcomes.ts';

/** A gateway built for replay, and the ledger records its pipeline writes, by request id. */
export interface ReplayGateway {
  gateway: Gateway;
  records: Map<string, LedgerRecord>;
  close(): Promise<void>;
}

/**
 * The cache bounds of the store the user really runs, applied to replay's memory store (whose own
 * default, 10,000 entries, would evict what SQLite — 100,000 entries, 1 GiB — or Redis keeps).
 */
function replayCacheBounds(config: FrugalConfig): { max_entries: number; max_bytes: number } {
  if (config.redis) return { max_entries: config.cache.max_entries ?? Number.MAX_SAFE_INTEGER, max_bytes: config.cache.max_bytes ?? Number.MAX_SAFE_INTEGER };
  return { max_entries: config.cache.max_entries ?? 100_000, max_bytes: config.cache.max_bytes ?? 1024 * 1024 * 1024 };
}

/**
 * The user's config, made safe to replay: everything in memory (no SQLite files, no Redis, no
 * PostgreSQL — a replay must not touch production state) but with the real store's cache bounds;
 * no budgets or key rate limits (they would refuse traffic for reasons unrelated to savings), and
 * no batch workers.
 */
export function replayConfig(config: FrugalConfig): FrugalConfig {
  return {
    ...config,
    cache: { ...config.cache, ...replayCacheBounds(config) },
    store: 'memory',
    redis: undefined,
    data_dir: undefined,
    budgets: [],
    batch: { ...config.batch, workers_enabled: false },
    logging: { level: 'error' },
  };
}

/**
 * Builds the real gateway from config — so the replay runs exactly the stages the product runs, in
 * the order src/gateway/build-pipeline.ts gives them — then swaps every deployment's adapter for a
 * ReplayAdapter answering from the log. The swap is in place: the pipeline, routes and cache hold
 * the same ModelEntry objects, so they call the replay adapters without any core change.
 */
export async function buildReplayGateway(config: FrugalConfig, outcomes: ReplayOutcomes | undefined, logger?: Logger): Promise<ReplayGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'frugal-replay-'));
  const gateway = await buildGateway({
    config: replayConfig(config),
    configSource: 'replay',
    dataDir,
    logger: logger ?? pino({ level: 'error' }, pino.destination(2)),
  });
  for (const model of gateway.models.values()) {
    for (const deployment of model.deployments) {
      deployment.provider = new ReplayAdapter(deployment.provider, model.name, outcomes);
    }
  }
  for (const [name, provider] of gateway.providers) gateway.providers.set(name, new ReplayAdapter(provider, undefined, outcomes));
  const records = new Map<string, LedgerRecord>();
  gateway.ledger.onRecord((record) => records.set(record.id, record));
  return {
    gateway,
    records,
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
