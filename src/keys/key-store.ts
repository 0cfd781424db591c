import type { VirtualKey } from './virtual-key.ts';

/**
 * Where virtual keys live: a SQLite table in the data dir (one process, and the CLI), or a
 * PostgreSQL table when `store:` is a postgres:// URL (several replicas). Keys are found by the
 * SHA-256 hash of the secret; the secret itself is never handed to a store.
 */
export interface KeyStore {
  insert(key: VirtualKey, keyHash: string): Promise<void>;
  findByHash(keyHash: string): Promise<VirtualKey | undefined>;
  get(id: string): Promise<VirtualKey | undefined>;
  /** Every key, revoked ones too, oldest first. */
  list(): Promise<VirtualKey[]>;
  /** Marks a key revoked (idempotent: the first revocation time is kept); `undefined` when unknown. */
  revoke(id: string, at: number): Promise<VirtualKey | undefined>;
  /** How many keys were ever created, revoked ones included. */
  count(): Promise<number>;
  close(): Promise<void>;
}
