import { join } from 'node:path';
import type { Gateway } from '../gateway/build-gateway.ts';
import { AnthropicBatchService } from './anthropic-batch-service.ts';
import { BatchRunner } from './batch-runner.ts';
import { BatchService } from './batch-service.ts';
import type { JobStore } from './store/job-store.ts';
import { SqliteJobStore } from './store/sqlite-job-store.ts';

/** The batch capability of a running gateway: its job store, API operations and workers. */
export interface BatchSystem {
  store: JobStore;
  service: BatchService;
  /** Anthropic's Message Batches API on the same store and workers. */
  anthropic: AnthropicBatchService;
  runner: BatchRunner;
  /** Stops the workers (running lines go back to pending) and closes the job store. */
  close(): Promise<void>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Opens the job store that matches `store:` (SQLite `batches.db` under the data dir by default, the
 * PostgreSQL URL when replicas share work, a private in-memory SQLite for `memory`) and starts the
 * scheduler, which resumes any batch a previous run left unfinished.
 */
export async function openBatchSystem(gateway: Omit<Gateway, 'batch'>): Promise<BatchSystem> {
  const { config } = gateway;
  const store: JobStore = POSTGRES_URL.test(config.store)
    ? await (await import('./store/postgres-job-store.ts')).PostgresJobStore.open({ url: config.store, schema: config.batch.postgres_schema })
    : new SqliteJobStore({ path: config.store === 'memory' ? ':memory:' : join(gateway.dataDir, 'batches.db') });
  const full = gateway as Gateway;
  const runner = new BatchRunner(full, store, config.batch);
  const service = new BatchService(full, store, config.batch, () => runner.wake());
  const anthropic = new AnthropicBatchService(full, store, config.batch, () => runner.wake());
  runner.start();
  return {
    store,
    service,
    anthropic,
    runner,
    async close() {
      await runner.stop();
      await store.close();
    },
  };
}
