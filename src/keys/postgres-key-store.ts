import postgres from 'postgres';
import type { PostgresClient } from '../store/postgres/postgres-ledger-store.ts';
import type { KeyStore } from './key-store.ts';
import { keyRowSchema, keyToRow, type VirtualKey } from './virtual-key.ts';

const SELECT_COLUMNS = ['id', 'name', 'tenant', 'prefix', 'tags', 'allowed_models', 'rpm', 'tpm', 'budgets', 'created_at', 'revoked_at'] as const;
const INSERT_COLUMNS = ['key_hash', ...SELECT_COLUMNS] as const;

/**
 * Virtual keys in PostgreSQL, shared by every replica (`store: postgres://…`). The table lives in
 * the connection's search_path, beside the ledger.
 */
export class PostgresKeyStore implements KeyStore {
  readonly #sql: PostgresClient;

  private constructor(sql: PostgresClient) {
    this.#sql = sql;
  }

  /** Connects and creates the table if it is missing. */
  static async open(options: { url: string }): Promise<PostgresKeyStore> {
    // A small pool: look-ups are cached in memory by the resolver, so this sees little traffic.
    const sql = postgres(options.url, { onnotice: () => {}, max: 4, connect_timeout: 10, idle_timeout: 60 });
    try {
      // Replicas starting together would race on CREATE TABLE IF NOT EXISTS; the lock serializes them.
      // One multi-statement simple query is one implicit transaction that releases the lock at its
      // end. Not `sql.begin`: when the server goes away inside it, postgres.js 3.4.9 writes its
      // ROLLBACK to the closed socket from a setImmediate, a TypeError no caller can catch, and the
      // process dies (porsager/postgres#1208). The store opens on first use, maybe mid-restart.
      await sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('frugal:virtual_keys'));
        CREATE TABLE IF NOT EXISTS virtual_keys (
          id text PRIMARY KEY,
          key_hash text NOT NULL UNIQUE,
          name text NOT NULL,
          tenant text NOT NULL,
          prefix text NOT NULL,
          tags text NOT NULL,
          allowed_models text,
          rpm integer,
          tpm integer,
          budgets text NOT NULL,
          created_at bigint NOT NULL,
          revoked_at bigint
        )`);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return new PostgresKeyStore(sql);
  }

  async insert(key: VirtualKey, keyHash: string): Promise<void> {
    const row = keyToRow(key, keyHash);
    await this.#sql`INSERT INTO virtual_keys ${this.#sql(row, INSERT_COLUMNS)}`;
  }

  async findByHash(keyHash: string): Promise<VirtualKey | undefined> {
    const rows = await this.#sql`SELECT ${this.#sql(SELECT_COLUMNS)} FROM virtual_keys WHERE key_hash = ${keyHash}`;
    return rows.length === 0 ? undefined : keyRowSchema.parse(rows[0]);
  }

  async get(id: string): Promise<VirtualKey | undefined> {
    const rows = await this.#sql`SELECT ${this.#sql(SELECT_COLUMNS)} FROM virtual_keys WHERE id = ${id}`;
    return rows.length === 0 ? undefined : keyRowSchema.parse(rows[0]);
  }

  async list(): Promise<VirtualKey[]> {
    const rows = await this.#sql`SELECT ${this.#sql(SELECT_COLUMNS)} FROM virtual_keys ORDER BY created_at, id`;
    return rows.map((row) => keyRowSchema.parse(row));
  }

  async revoke(id: string, at: number): Promise<VirtualKey | undefined> {
    await this.#sql`UPDATE virtual_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`;
    return this.get(id);
  }

  async count(): Promise<number> {
    const rows = await this.#sql`SELECT COUNT(*)::int AS total FROM virtual_keys`;
    return Number(rows[0].total);
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
