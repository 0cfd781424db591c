import postgres from 'postgres';
import { quoteIdentifier } from './quote-identifier.ts';
import { z } from 'zod';
import type { Attempt, Decision } from '../../pipeline/types.ts';
import type { LedgerQuery, LedgerRecord, LedgerStore } from '../types.ts';
import { ledgerQuerySchema, ledgerRecordSchema, assertLedgerBatch } from '../memory/ledger-record-schema.ts';

/** A porsager `postgres` client, as the PostgreSQL stores accept it. */
export type PostgresClient = postgres.Sql;

/** Where a PostgresLedgerStore writes: a connection URL (client opened and owned) or a shared client. */
export interface PostgresLedgerStoreOptions {
  url?: string;
  sql?: PostgresClient;
  /** Schema for the table (created if missing); defaults to the connection's search_path. */
  schema?: string;
  /** Table name; default `ledger`. */
  table?: string;
}

const COLUMNS = [
  'id', 'time', 'tenant', 'key_id', 'endpoint', 'requested_model', 'route', 'task', 'served_model',
  'served_provider', 'simulated', 'stream', 'input_tokens', 'cached_input_tokens', 'cache_write_tokens',
  'output_tokens', 'usage_estimated', 'cost_nano', 'baseline_cost_nano', 'latency_ms', 'status',
  'http_status', 'error_code', 'cache_status', 'tags', 'attempts', 'savings', 'trace',
] as const;

/** int8 arrives as a decimal string; it must come back as the exact JS number that was written. */
const exactInteger = z.union([z.string(), z.number(), z.bigint()]).transform((value, context) => {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || BigInt(value) !== BigInt(number)) {
    context.addIssue({ code: 'custom', message: `integer ${String(value)} is not exact as a JS number` });
    return z.NEVER;
  }
  return number;
});
const shape = ledgerRecordSchema.shape;

const rowSchema = z
  .object({
    id: shape.id, time: exactInteger, tenant: shape.tenant, key_id: shape.keyId, endpoint: shape.endpoint,
    requested_model: shape.requestedModel, route: shape.route, task: shape.task, served_model: shape.servedModel,
    served_provider: shape.servedProvider, simulated: z.boolean(), stream: z.boolean(),
    input_tokens: exactInteger, cached_input_tokens: exactInteger, cache_write_tokens: exactInteger,
    output_tokens: exactInteger, usage_estimated: z.boolean(), cost_nano: exactInteger,
    baseline_cost_nano: exactInteger, latency_ms: shape.latencyMs, status: shape.status,
    http_status: shape.httpStatus, error_code: shape.errorCode, cache_status: shape.cacheStatus,
    tags: shape.tags, attempts: z.array(z.custom<Attempt>()), savings: shape.savingsNano,
    trace: z.array(z.custom<Decision>()),
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

/**
 * The ledger for several replicas: one PostgreSQL table shaped like the SQLite one, with bigint
 * money and token columns and JSONB for the nested parts. A batch is one transaction of multi-row
 * inserts, so a failing record leaves no rows behind.
 */
export class PostgresLedgerStore implements LedgerStore {
  readonly #sql: PostgresClient;
  readonly #ownsClient: boolean;
  readonly #table: string;

  private constructor(sql: PostgresClient, ownsClient: boolean, table: string) {
    this.#sql = sql;
    this.#ownsClient = ownsClient;
    this.#table = table;
  }

  /** Connects (when given a URL) and creates the schema, table and indexes if they are missing. */
  static async open(options: PostgresLedgerStoreOptions): Promise<PostgresLedgerStore> {
    if (options.sql === undefined && options.url === undefined) throw new Error('PostgresLedgerStore needs url or sql');
    const sql = options.sql ?? postgres(options.url ?? '', { onnotice: () => {}, max: 10, connect_timeout: 10 });
    const table = options.table ?? 'ledger';
    const qualified = options.schema === undefined ? table : `${options.schema}.${table}`;
    try {
      await createTable(sql, options.schema, table, qualified);
    } catch (error) {
      if (options.sql === undefined) await sql.end({ timeout: 1 });
      throw error;
    }
    return new PostgresLedgerStore(sql, options.sql === undefined, qualified);
  }

  /**
   * One INSERT … SELECT from a single JSON parameter, whatever the batch size: a single statement is
   * atomic without a transaction block, and never nears PostgreSQL's 65,535-parameter cap. Not
   * `sql.begin`: when the server goes away mid-transaction, postgres.js 3.4.9 writes its ROLLBACK to
   * the closed socket from a setImmediate, a TypeError no caller can catch, and the process dies
   * (porsager/postgres#1208; found by test/reliability/restarts.test.ts).
   */
  async append(records: LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    assertLedgerBatch(records);
    const rows = records.map(recordToRow);
    const table = quoteIdentifier(this.#table);
    await this.#sql.unsafe(`INSERT INTO ${table} (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM jsonb_populate_recordset(NULL::${table}, $1::text::jsonb)`, [JSON.stringify(rows)]);
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const rows = await this.#sql`SELECT * FROM ${this.#sql(this.#table)} WHERE id = ${id}`;
    return rows.length === 0 ? undefined : rowSchema.parse(rows[0]);
  }

  async query(query: LedgerQuery): Promise<LedgerRecord[]> {
    const parsed = ledgerQuerySchema.parse(query);
    const sql = this.#sql;
    // "C" collation so id tie-breaks order like the other backends (byte order), whatever the database locale.
    const order =
      parsed.orderBy === 'cost'
        ? sql`ORDER BY cost_nano DESC, time DESC, id COLLATE "C" DESC`
        : sql`ORDER BY time DESC, id COLLATE "C" DESC`;
    const limit = parsed.limit === undefined ? sql`` : sql`LIMIT ${parsed.limit}`;
    const rows = await sql`SELECT * FROM ${sql(this.#table)} ${this.#where(parsed)} ${order} ${limit}`;
    return rows.map((row) => rowSchema.parse(row));
  }

  async count(query: LedgerQuery = {}): Promise<number> {
    const sql = this.#sql;
    const rows = await sql`SELECT COUNT(*) AS total FROM ${sql(this.#table)} ${this.#where(ledgerQuerySchema.parse(query))}`;
    return exactInteger.parse(rows[0].total);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#sql.end({ timeout: 5 });
  }

  #where(query: LedgerQuery): postgres.PendingQuery<postgres.Row[]> {
    const sql = this.#sql;
    const conditions: postgres.PendingQuery<postgres.Row[]>[] = [];
    if (query.since !== undefined) conditions.push(sql`time >= ${query.since}`);
    if (query.until !== undefined) conditions.push(sql`time < ${query.until}`);
    if (query.tenant !== undefined) conditions.push(sql`tenant = ${query.tenant}`);
    if (query.keyId !== undefined) conditions.push(sql`key_id = ${query.keyId}`);
    if (conditions.length === 0) return sql``;
    return conditions.slice(1).reduce((joined, condition) => sql`${joined} AND ${condition}`, sql`WHERE ${conditions[0]}`);
  }
}

async function createTable(sql: PostgresClient, schema: string | undefined, table: string, qualified: string): Promise<void> {
  // Replicas starting together would race on CREATE TABLE IF NOT EXISTS (duplicate pg_type); the lock
  // serializes them. One multi-statement simple query runs as one implicit transaction (the lock is
  // released at its end) with no client-side ROLLBACK to crash on if the server goes away (see append).
  const name = quoteIdentifier(qualified);
  const index = (suffix: string) => quoteIdentifier(`${table}_${suffix}`.replace(/[^a-zA-Z0-9_]/g, '_'));
  const lockKey = `frugal:${qualified}`.replace(/'/g, "''");
  await sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));
    ${schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)};`}
    CREATE TABLE IF NOT EXISTS ${name} (
      id text PRIMARY KEY,
      time bigint NOT NULL,
      tenant text NOT NULL,
      key_id text,
      endpoint text NOT NULL,
      requested_model text NOT NULL,
      route text,
      task text,
      served_model text,
      served_provider text,
      simulated boolean NOT NULL,
      stream boolean NOT NULL,
      input_tokens bigint NOT NULL,
      cached_input_tokens bigint NOT NULL,
      cache_write_tokens bigint NOT NULL,
      output_tokens bigint NOT NULL,
      usage_estimated boolean NOT NULL,
      cost_nano bigint NOT NULL,
      baseline_cost_nano bigint NOT NULL,
      latency_ms double precision NOT NULL,
      status text NOT NULL,
      http_status integer NOT NULL,
      error_code text,
      cache_status text NOT NULL,
      tags jsonb NOT NULL,
      attempts jsonb NOT NULL,
      savings jsonb NOT NULL,
      trace jsonb NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${index('time')} ON ${name} (time);
    CREATE INDEX IF NOT EXISTS ${index('tenant_time')} ON ${name} (tenant, time);
    CREATE INDEX IF NOT EXISTS ${index('key_time')} ON ${name} (key_id, time);`);
}

const COLUMN_LIST = COLUMNS.join(', ');

/** A record as one JSON object keyed by column; JSON drops `undefined` fields, exactly as the other backends do. */
function recordToRow(record: LedgerRecord) {
  return {
    id: record.id, time: record.time, tenant: record.tenant, key_id: record.keyId, endpoint: record.endpoint,
    requested_model: record.requestedModel, route: record.route, task: record.task,
    served_model: record.servedModel, served_provider: record.servedProvider, simulated: record.simulated,
    stream: record.stream, input_tokens: record.inputTokens, cached_input_tokens: record.cachedInputTokens,
    cache_write_tokens: record.cacheWriteTokens, output_tokens: record.outputTokens,
    usage_estimated: record.usageEstimated, cost_nano: record.costNano, baseline_cost_nano: record.baselineCostNano,
    latency_ms: record.latencyMs, status: record.status, http_status: record.httpStatus,
    error_code: record.errorCode, cache_status: record.cacheStatus,
    tags: record.tags, attempts: record.attempts, savings: record.savingsNano, trace: record.trace,
  };
}
