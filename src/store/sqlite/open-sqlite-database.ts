import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** A better-sqlite3 connection (the type the SQLite stores accept when they share one). */
export type SqliteDatabase = Database.Database;

/**
 * Opens (creating the folder if needed) a SQLite file tuned for a gateway: WAL so readers never
 * wait for the writer, `synchronous=NORMAL` (durable across process crashes; a power cut may lose
 * the last transactions, never corrupt the file), and a busy timeout so a second process sharing
 * the file waits instead of failing at once. `:memory:` opens a private in-memory database.
 */
export function openSqliteDatabase(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  return database;
}
