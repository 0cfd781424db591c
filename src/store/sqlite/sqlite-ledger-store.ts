import { z } from 'zod';
import type { Attempt, Decision } from '../../pipeline/types.ts';
import type { LedgerQuery, LedgerRecord, LedgerStore } from '../types.ts';
import { ledgerQuerySchema, ledgerRecordSchema, assertLedgerBatch } from '../memory/ledger-record-schema.ts';
import { openSqliteDatabase, type SqliteDatabase } from './open-sqlite-database.ts';
import { SqliteWriterThread } from './sqlite-writer-thread.ts';

/** Where a SqliteLedgerStore keeps its rows: a file path (opened and owned) or a shared connection. */
export type SqliteLedgerStoreOptions =
  | {
      path: string;
      /**
       * Write batches on a worker thread (default for a file): the event loop never waits for SQLite.
       * `false` writes inline on the caller's thread, as a shared connection always does.
       */
      writerThread?: boolean;
    }
  | { database: SqliteDatabase };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger (
  id TEXT PRIMARY KEY,
  time INTEGER NOT NULL,
  tenant TEXT NOT NULL,
  key_id TEXT,
  endpoint TEXT NOT NULL,
  requested_model TEXT NOT NULL,
  route TEXT,
  task TEXT,
  served_model TEXT,
  served_provider TEXT,
  simulated INTEGER NOT NULL,
  stream INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  usage_estimated INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  baseline_cost_nano INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  status TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  error_code TEXT,
  cache_status TEXT NOT NULL,
  tags TEXT NOT NULL,
  attempts TEXT NOT NULL,
  savings TEXT NOT NULL,
  trace TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_time ON ledger (time);
CREATE INDEX IF NOT EXISTS ledger_tenant_time ON ledger (tenant, time);
CREATE INDEX IF NOT EXISTS ledger_key_time ON ledger (key_id, time);
`;

const COLUMNS = [
  'id', 'time', 'tenant', 'key_id', 'endpoint', 'requested_model', 'route', 'task', 'served_model',
  'served_provider', 'simulated', 'stream', 'input_tokens', 'cached_input_tokens', 'cache_write_tokens',
  'output_tokens', 'usage_estimated', 'cost_nano', 'baseline_cost_nano', 'latency_ms', 'status',
  'http_status', 'error_code', 'cache_status', 'tags', 'attempts', 'savings', 'trace',
] as const;

/** A row's values in COLUMNS order (positional parameters: binding by name costs a lookup per column). */
type RowValues = (string | number | null)[];

const jsonText = <T>(schema: z.ZodType<T>) => z.string().transform((text) => schema.parse(JSON.parse(text)));
const flag = z.union([z.literal(0), z.literal(1)]).transform((value) => value === 1);
const shape = ledgerRecordSchema.shape;

/** Parses a stored row back into a record, so a corrupted or hand-edited row fails loudly. */
const rowSchema = z
  .object({
    id: shape.id, time: shape.time, tenant: shape.tenant, key_id: shape.keyId, endpoint: shape.endpoint,
    requested_model: shape.requestedModel, route: shape.route, task: shape.task, served_model: shape.servedModel,
    served_provider: shape.servedProvider, simulated: flag, stream: flag, input_tokens: shape.inputTokens,
    cached_input_tokens: shape.cachedInputTokens, cache_write_tokens: shape.cacheWriteTokens,
    output_tokens: shape.outputTokens, usage_estimated: flag, cost_nano: shape.costNano,
    baseline_cost_nano: shape.baselineCostNano, latency_ms: shape.latencyMs, status: shape.status,
    http_status: shape.httpStatus, error_code: shape.errorCode, cache_status: shape.cacheStatus,
    tags: jsonText(shape.tags), attempts: jsonText(z.array(z.custom<Attempt>())),
    savings: jsonText(shape.savingsNano), trace: jsonText(z.array(z.custom<Decision>())),
  })
  .transform((row): LedgerRecord => ({
    id: row.id, time: row.time, tenant: row.tenant, keyId: row.key_id, tags: row.tags, endpoint: row.endpoint,
    requestedModel: row.requested_model, route: row.route, task: row.task, servedModel: row.served_model,
    servedProvider: row.served_provider, simulated: row.simulated, stream: row.stream, attempts: row.attempts,
    inputTokens: row.input_tokens, cachedInputTokens: row.cached_input_tokens,
    cacheWriteTokens: row.cache_write_tokens, outputTokens: row.output_tokens,
    usageEstimated: row.usage_estimated, costNano: row.cost_nano, baselineCostNano: row.baseline_cost_nano,
    savingsNano: row.savings, latencyMs: row.latency_ms, status: row.status, httpStatus: row.http_status,
    errorCode: row.error_code, cacheStatus: row.cache_status, trace: row.trace,
  }));

function recordToRow(record: LedgerRecord): RowValues {
  return [
    record.id, record.time, record.tenant, record.keyId, record.endpoint, record.requestedModel, record.route,
    record.task, record.servedModel, record.servedProvider, Number(record.simulated), Number(record.stream),
    record.inputTokens, record.cachedInputTokens, record.cacheWriteTokens, record.outputTokens,
    Number(record.usageEstimated), record.costNano, record.baselineCostNano, record.latencyMs, record.status,
    record.httpStatus, record.errorCode, record.cacheStatus, JSON.stringify(record.tags),
    JSON.stringify(record.attempts), JSON.stringify(record.savingsNano), JSON.stringify(record.trace),
  ];
}

/**
 * The embedded default ledger: one SQLite table with indexed time, tenant and key columns, JSON
 * text for the nested parts. Money is stored as SQLite INTEGER (64-bit), read back exactly.
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly #database: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  readonly #insertBatch: (rows: RowValues[]) => void;
  readonly #writerThread: SqliteWriterThread | undefined;
  readonly #selectById: { get(id: string): unknown };

  constructor(options: SqliteLedgerStoreOptions) {
    this.#ownsDatabase = 'path' in options;
    this.#database = 'path' in options ? openSqliteDatabase(options.path) : options.database;
    this.#database.exec(SCHEMA);
    const insertSql = `INSERT INTO ledger (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
    const insert = this.#database.prepare(insertSql);
    // One transaction per batch: a failing row (duplicate id) rolls back the rows before it.
    this.#insertBatch = this.#database.transaction((rows: RowValues[]) => {
      for (const row of rows) insert.run(row);
    });
    const onFile = 'path' in options && options.path !== ':memory:' && options.writerThread !== false;
    this.#writerThread = onFile ? new SqliteWriterThread(options.path, insertSql) : undefined;
    this.#selectById = this.#database.prepare('SELECT * FROM ledger WHERE id = ?');
  }

  async append(records: LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    assertLedgerBatch(records);
    const rows = records.map(recordToRow);
    if (this.#writerThread) await this.#writerThread.write(rows);
    else this.#insertBatch(rows);
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const row = this.#selectById.get(id);
    return row === undefined ? undefined : rowSchema.parse(row);
  }

  async query(query: LedgerQuery): Promise<LedgerRecord[]> {
    const parsed = ledgerQuerySchema.parse(query);
    const { where, parameters } = whereClause(parsed);
    const order = parsed.orderBy === 'cost' ? 'cost_nano DESC, time DESC, id DESC' : 'time DESC, id DESC';
    const limit = parsed.limit === undefined ? '' : ` LIMIT ${parsed.limit}`;
    const rows = this.#database.prepare(`SELECT * FROM ledger${where} ORDER BY ${order}${limit}`).all(parameters);
    return rows.map((row) => rowSchema.parse(row));
  }

  async count(query: LedgerQuery = {}): Promise<number> {
    const { where, parameters } = whereClause(ledgerQuerySchema.parse(query));
    const row = this.#database.prepare(`SELECT COUNT(*) AS total FROM ledger${where}`).get(parameters);
    return z.object({ total: z.number() }).parse(row).total;
  }

  async close(): Promise<void> {
    await this.#writerThread?.close();
    if (this.#ownsDatabase && this.#database.open) this.#database.close();
  }
}

function whereClause(query: LedgerQuery): { where: string; parameters: Record<string, string | number> } {
  const filters: [condition: string, name: string, value: string | number | undefined][] = [
    ['time >= @since', 'since', query.since],
    ['time < @until', 'until', query.until],
    ['tenant = @tenant', 'tenant', query.tenant],
    ['key_id = @keyId', 'keyId', query.keyId],
  ];
  const active = filters.filter(([, , value]) => value !== undefined);
  const parameters = Object.fromEntries(active.map(([, name, value]) => [name, value as string | number]));
  return { where: active.length === 0 ? '' : ` WHERE ${active.map(([condition]) => condition).join(' AND ')}`, parameters };
}
