import { join } from 'node:path';
import { redactUrl } from '../store/redis/redis-connection.ts';
import type { KeyStore } from './key-store.ts';
import { SqliteKeyStore } from './sqlite-key-store.ts';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Opens the key store that goes with a deployment's `store:` setting: the PostgreSQL database for a
 * postgres:// URL, `keys.db` in the data dir for `sqlite`, a private in-memory table for `memory`.
 */
export async function openKeyStore(options: { store: string; dataDir: string }): Promise<KeyStore> {
  if (POSTGRES_URL.test(options.store)) {
    try {
      // Loaded only when configured: the PostgreSQL driver is not needed by the embedded default.
      const { PostgresKeyStore } = await import('./postgres-key-store.ts');
      return await PostgresKeyStore.open({ url: options.store });
    } catch (error) {
      throw new Error(`Cannot open the PostgreSQL key store at ${redactUrl(options.store)}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (options.store === 'memory') return new SqliteKeyStore({ path: ':memory:' });
  return new SqliteKeyStore({ path: join(options.dataDir, 'keys.db') });
}
