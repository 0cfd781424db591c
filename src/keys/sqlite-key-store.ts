import { openSqliteDatabase, type SqliteDatabase } from '../store/sqlite/open-sqlite-database.ts';
import type { KeyStore } from './key-store.ts';
import { keyRowSchema, keyToRow, type VirtualKey } from './virtual-key.ts';

const COLUMNS = 'id, name, tenant, prefix, tags, allowed_models, rpm, tpm, budgets, created_at, revoked_at';

/** Virtual keys in a SQLite file (`keys.db` in the data dir); `:memory:` for a memory deployment. */
export class SqliteKeyStore implements KeyStore {
  readonly #database: SqliteDatabase;

  constructor(options: { path: string }) {
    this.#database = openSqliteDatabase(options.path);
    this.#database.exec(`
      CREATE TABLE IF NOT EXISTS virtual_keys (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        tenant TEXT NOT NULL,
        prefix TEXT NOT NULL,
        tags TEXT NOT NULL,
        allowed_models TEXT,
        rpm INTEGER,
        tpm INTEGER,
        budgets TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      )`);
  }

  async insert(key: VirtualKey, keyHash: string): Promise<void> {
    this.#database
      .prepare(
        `INSERT INTO virtual_keys (key_hash, ${COLUMNS}) VALUES
         (@key_hash, @id, @name, @tenant, @prefix, @tags, @allowed_models, @rpm, @tpm, @budgets, @created_at, @revoked_at)`,
      )
      .run(keyToRow(key, keyHash));
  }

  async findByHash(keyHash: string): Promise<VirtualKey | undefined> {
    const row = this.#database.prepare(`SELECT ${COLUMNS} FROM virtual_keys WHERE key_hash = ?`).get(keyHash);
    return row === undefined ? undefined : keyRowSchema.parse(row);
  }

  async get(id: string): Promise<VirtualKey | undefined> {
    const row = this.#database.prepare(`SELECT ${COLUMNS} FROM virtual_keys WHERE id = ?`).get(id);
    return row === undefined ? undefined : keyRowSchema.parse(row);
  }

  async list(): Promise<VirtualKey[]> {
    return this.#database
      .prepare(`SELECT ${COLUMNS} FROM virtual_keys ORDER BY created_at, id`)
      .all()
      .map((row) => keyRowSchema.parse(row));
  }

  async revoke(id: string, at: number): Promise<VirtualKey | undefined> {
    this.#database.prepare('UPDATE virtual_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id);
    return this.get(id);
  }

  async count(): Promise<number> {
    const row = this.#database.prepare('SELECT COUNT(*) AS total FROM virtual_keys').get() as { total: number };
    return row.total;
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }
}
