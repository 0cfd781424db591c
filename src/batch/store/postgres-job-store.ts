import postgres from 'postgres';
import { quoteIdentifier } from '../../store/postgres/quote-identifier.ts';
import { batchData, batchRowSchema, claimedRowSchema, fileRowSchema, lineRowSchema } from './job-rows.ts';
import {
  ACTIVE_BATCH_STATUSES,
  emptyCounts,
  type BatchLine,
  type BatchListQuery,
  type BatchPatch,
  type BatchRecord,
  type BatchStatus,
  type ClaimedLine,
  type JobStore,
  type LineCounts,
  type LineStatus,
  type StoredFile,
} from './job-store.ts';

export interface PostgresJobStoreOptions {
  url: string;
  /** Schema for the tables (created if missing); defaults to the connection's search_path. */
  schema?: string;
  /** Prefix for the table names; default `frugal_`. */
  tablePrefix?: string;
}

type Json = postgres.JSONValue;

/**
 * The job store for several replicas. Lines are claimed with `FOR UPDATE SKIP LOCKED`, so replicas
 * polling at once each get different lines and never wait on one another; a line finishes only
 * while its claimer still holds it, so a line is completed exactly once.
 *
 * Every write is one statement, atomic on its own: no `sql.begin`. When the server goes away inside
 * a transaction, postgres.js 3.4.9 writes its ROLLBACK to the closed socket from a setImmediate, a
 * TypeError no caller can catch, and the process dies (porsager/postgres#1208, #1154).
 */
export class PostgresJobStore implements JobStore {
  readonly #sql: postgres.Sql;
  readonly #files: string;
  readonly #batches: string;
  readonly #lines: string;

  private constructor(sql: postgres.Sql, qualify: (name: string) => string) {
    this.#sql = sql;
    this.#files = qualify('batch_files');
    this.#batches = qualify('batches');
    this.#lines = qualify('batch_lines');
  }

  static async open(options: PostgresJobStoreOptions): Promise<PostgresJobStore> {
    const sql = postgres(options.url, { onnotice: () => {}, max: 10, connect_timeout: 10 });
    const prefix = options.tablePrefix ?? 'frugal_';
    const qualify = (name: string) => (options.schema === undefined ? `${prefix}${name}` : `${options.schema}.${prefix}${name}`);
    const store = new PostgresJobStore(sql, qualify);
    try {
      await store.#createTables(options.schema);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return store;
  }

  async #createTables(schema: string | undefined): Promise<void> {
    const sql = this.#sql;
    const [files, batches, lines] = [quoteIdentifier(this.#files), quoteIdentifier(this.#batches), quoteIdentifier(this.#lines)];
    const index = (name: string) => `"${`${name}`.replace(/[^a-zA-Z0-9_]/g, '_')}"`;
    // Concurrent replicas may start together: one advisory lock serializes the CREATE statements.
    // One multi-statement simple query runs as one implicit transaction (the lock is released at
    // its end), with no client-side ROLLBACK to crash on if the server goes away (see above).
    await sql.unsafe(`SELECT pg_advisory_xact_lock(7262918);
      ${schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}";`}
      CREATE TABLE IF NOT EXISTS ${files} (
        id text PRIMARY KEY, tenant text NOT NULL, filename text NOT NULL, purpose text NOT NULL,
        bytes int8 NOT NULL, created_at int8 NOT NULL, content text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${batches} (
        id text PRIMARY KEY, tenant text NOT NULL, status text NOT NULL, created_at int8 NOT NULL,
        owner text, owner_until int8 NOT NULL DEFAULT 0, data jsonb NOT NULL);
      CREATE INDEX IF NOT EXISTS ${index(`${this.#batches}_status`)} ON ${batches} (status);
      CREATE TABLE IF NOT EXISTS ${lines} (
        batch_id text NOT NULL, line_number int8 NOT NULL, custom_id text NOT NULL, url text NOT NULL,
        request jsonb NOT NULL, status text NOT NULL, provider_job text, claimed_by text,
        lease_until int8 NOT NULL DEFAULT 0, attempts int8 NOT NULL DEFAULT 0, output jsonb,
        PRIMARY KEY (batch_id, line_number), UNIQUE (batch_id, custom_id));
      CREATE INDEX IF NOT EXISTS ${index(`${this.#lines}_status`)} ON ${lines} (status, batch_id);`);
  }

  async putFile(file: StoredFile, content: string): Promise<void> {
    const sql = this.#sql;
    await sql`INSERT INTO ${sql(this.#files)} (id, tenant, filename, purpose, bytes, created_at, content)
      VALUES (${file.id}, ${file.tenant}, ${file.filename}, ${file.purpose}, ${file.bytes}, ${file.createdAt}, ${content}) ON CONFLICT (id) DO NOTHING`;
  }

  async getFile(tenant: string, id: string): Promise<StoredFile | undefined> {
    const sql = this.#sql;
    const rows = await sql`SELECT id, tenant, filename, purpose, bytes, created_at FROM ${sql(this.#files)} WHERE tenant = ${tenant} AND id = ${id}`;
    return rows.length === 0 ? undefined : fileRowSchema.parse(rows[0]);
  }

  async getFileContent(tenant: string, id: string): Promise<string | undefined> {
    const sql = this.#sql;
    const rows = await sql`SELECT content FROM ${sql(this.#files)} WHERE tenant = ${tenant} AND id = ${id}`;
    return rows.length === 0 ? undefined : String(rows[0].content);
  }

  async listFiles(tenant: string): Promise<StoredFile[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT id, tenant, filename, purpose, bytes, created_at FROM ${sql(this.#files)} WHERE tenant = ${tenant} ORDER BY created_at DESC, id DESC`;
    return rows.map((row) => fileRowSchema.parse(row));
  }

  async deleteFile(tenant: string, id: string): Promise<boolean> {
    const sql = this.#sql;
    const result = await sql`DELETE FROM ${sql(this.#files)} WHERE tenant = ${tenant} AND id = ${id}`;
    return result.count > 0;
  }

  /**
   * The batch row and every line row in one statement (a data-modifying CTE), so they are stored
   * together or not at all. The lines travel as one JSON parameter, whatever their number: no
   * 65,535-parameter cap, one round trip.
   */
  async createBatch(batch: BatchRecord, lines: Parameters<JobStore['createBatch']>[1]): Promise<void> {
    const sql = this.#sql;
    const rows = lines.map((line) => ({ line_number: line.lineNumber, custom_id: line.customId, url: line.url, request: line.request }));
    await sql`WITH batch AS (
        INSERT INTO ${sql(this.#batches)} (id, tenant, status, created_at, data)
        VALUES (${batch.id}, ${batch.tenant}, ${batch.status}, ${batch.createdAt}, ${JSON.stringify(batchData(batch))}::text::jsonb)
        RETURNING id
      )
      INSERT INTO ${sql(this.#lines)} (batch_id, line_number, custom_id, url, request, status)
      SELECT batch.id, line.line_number, line.custom_id, line.url, line.request, 'pending'
      FROM batch, jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) AS line(line_number int8, custom_id text, url text, request jsonb)`;
  }

  async getBatch(tenant: string, id: string): Promise<BatchRecord | undefined> {
    const sql = this.#sql;
    const rows = await sql`SELECT status, data FROM ${sql(this.#batches)} WHERE tenant = ${tenant} AND id = ${id}`;
    return rows.length === 0 ? undefined : batchRowSchema.parse(rows[0]);
  }

  async listBatches(tenant: string, query: BatchListQuery): Promise<BatchRecord[]> {
    const sql = this.#sql;
    const after = query.after
      ? sql`AND (created_at, id) < (SELECT created_at, id FROM ${sql(this.#batches)} WHERE id = ${query.after} AND tenant = ${tenant})`
      : sql``;
    const before = query.before
      ? sql`AND (created_at, id) > (SELECT created_at, id FROM ${sql(this.#batches)} WHERE id = ${query.before} AND tenant = ${tenant})`
      : sql``;
    const endpoint = query.endpoint !== undefined ? sql`AND data->>'endpoint' = ${query.endpoint}` : sql``;
    const excluded = query.excludeEndpoint !== undefined ? sql`AND data->>'endpoint' IS DISTINCT FROM ${query.excludeEndpoint}` : sql``;
    // With `before` the page is the batches just newer than the cursor: taken oldest first, returned newest first.
    const order = query.before ? sql`ORDER BY created_at ASC, id ASC` : sql`ORDER BY created_at DESC, id DESC`;
    const rows = await sql`SELECT status, data FROM ${sql(this.#batches)} WHERE tenant = ${tenant} ${after} ${before} ${endpoint} ${excluded} ${order} LIMIT ${query.limit}`;
    const batches = rows.map((row) => batchRowSchema.parse(row));
    return query.before ? batches.reverse() : batches;
  }

  /** The batch row and its lines in one statement (data-modifying CTEs), like `createBatch`. */
  async deleteBatch(tenant: string, id: string): Promise<boolean> {
    const sql = this.#sql;
    const [row] = await sql`WITH gone AS (DELETE FROM ${sql(this.#batches)} WHERE tenant = ${tenant} AND id = ${id} RETURNING id),
      gone_lines AS (DELETE FROM ${sql(this.#lines)} WHERE batch_id IN (SELECT id FROM gone))
      SELECT count(*)::int AS deleted FROM gone`;
    return Number(row?.deleted ?? 0) > 0;
  }

  async listActiveBatches(): Promise<BatchRecord[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT status, data FROM ${sql(this.#batches)} WHERE status IN ${sql(ACTIVE_BATCH_STATUSES as BatchStatus[])} ORDER BY created_at, id`;
    return rows.map((row) => batchRowSchema.parse(row));
  }

  async transitionBatch(id: string, from: readonly BatchStatus[], patch: BatchPatch): Promise<boolean> {
    const sql = this.#sql;
    const { status, ...rest } = patch;
    const result = await sql`UPDATE ${sql(this.#batches)} SET status = COALESCE(${status ?? null}, status), data = data || ${sql.json(rest as Json)}
      WHERE id = ${id} AND status IN ${sql(from as BatchStatus[])}`;
    return result.count > 0;
  }

  async leaseBatch(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const sql = this.#sql;
    const now = Date.now();
    const result = await sql`UPDATE ${sql(this.#batches)} SET owner = ${owner}, owner_until = ${now + leaseMs}
      WHERE id = ${id} AND (owner IS NULL OR owner = ${owner} OR owner_until < ${now})`;
    return result.count > 0;
  }

  async claimLines(owner: string, limit: number, leaseMs: number): Promise<ClaimedLine[]> {
    if (limit <= 0) return [];
    const sql = this.#sql;
    const now = Date.now();
    const rows = await sql`
      UPDATE ${sql(this.#lines)} AS l SET status = 'running', claimed_by = ${owner}, lease_until = ${now + leaseMs}, attempts = l.attempts + 1
      FROM (
        SELECT c.batch_id, c.line_number FROM ${sql(this.#lines)} AS c JOIN ${sql(this.#batches)} AS cb ON cb.id = c.batch_id
        WHERE cb.status = 'in_progress' AND (c.status = 'pending' OR (c.status = 'running' AND c.lease_until < ${now}))
        ORDER BY cb.created_at, c.batch_id, c.line_number LIMIT ${limit}
        FOR UPDATE OF c SKIP LOCKED
      ) AS claimed, ${sql(this.#batches)} AS b
      WHERE l.batch_id = claimed.batch_id AND l.line_number = claimed.line_number AND b.id = l.batch_id
      RETURNING l.batch_id, l.line_number, l.custom_id, l.url, l.request, l.status, l.provider_job, l.attempts, l.output,
        b.tenant, b.data->>'keyId' AS key_id`;
    return rows
      .map((row) => {
        const { tenant, keyId, line } = claimedRowSchema.parse(row);
        return { ...line, tenant, keyId };
      })
      .sort((a, b) => a.batchId.localeCompare(b.batchId) || a.lineNumber - b.lineNumber);
  }

  async renewLines(owner: string, keys: { batchId: string; lineNumber: number }[], leaseMs: number): Promise<void> {
    if (keys.length === 0) return;
    const sql = this.#sql;
    const until = Date.now() + leaseMs;
    for (const key of keys) {
      await sql`UPDATE ${sql(this.#lines)} SET lease_until = ${until}
        WHERE batch_id = ${key.batchId} AND line_number = ${key.lineNumber} AND claimed_by = ${owner} AND status = 'running'`;
    }
  }

  async releaseLine(owner: string, batchId: string, lineNumber: number): Promise<void> {
    const sql = this.#sql;
    await sql`UPDATE ${sql(this.#lines)} SET status = 'pending', claimed_by = NULL, lease_until = 0
      WHERE batch_id = ${batchId} AND line_number = ${lineNumber} AND claimed_by = ${owner} AND status = 'running'`;
  }

  async finishLine(...[key, from, result]: Parameters<JobStore['finishLine']>): Promise<boolean> {
    const sql = this.#sql;
    const output = sql.json(result.output as Json);
    const guard = from.status === 'running'
      ? sql`status = 'running' AND claimed_by = ${from.owner}`
      : sql`status = 'provider' AND provider_job = ${from.providerJob}`;
    const updated = await sql`UPDATE ${sql(this.#lines)} SET status = ${result.status}, output = ${output}, claimed_by = NULL
      WHERE batch_id = ${key.batchId} AND line_number = ${key.lineNumber} AND ${guard}`;
    return updated.count > 0;
  }

  async assignProviderJob(batchId: string, lineNumbers: number[], providerJob: string): Promise<void> {
    const sql = this.#sql;
    if (lineNumbers.length === 0) return;
    await sql`UPDATE ${sql(this.#lines)} SET status = 'provider', provider_job = ${providerJob}
      WHERE batch_id = ${batchId} AND line_number IN ${sql(lineNumbers)} AND status = 'pending'`;
  }

  /**
   * Reads the open lines, builds their closing outputs, then closes them in one UPDATE that checks
   * each line is still open: a line a worker finished in between keeps its answer (exactly once).
   * Lines that (re)entered an open status meanwhile are picked up by the next round.
   */
  async closeOpenLines(...[batchId, statuses, status, output]: Parameters<JobStore['closeOpenLines']>): Promise<number> {
    const sql = this.#sql;
    const open = sql(statuses as LineStatus[]);
    let closed = 0;
    for (;;) {
      const rows = await sql`SELECT batch_id, line_number, custom_id, url, request, status, provider_job, attempts, output
        FROM ${sql(this.#lines)} WHERE batch_id = ${batchId} AND status IN ${open} ORDER BY line_number`;
      if (rows.length === 0) return closed;
      const outputs = rows.map((row) => {
        const line = lineRowSchema.parse(row);
        return { line_number: line.lineNumber, output: output(line) };
      });
      const updated = await sql`UPDATE ${sql(this.#lines)} AS l SET status = ${status}, output = closing.output, claimed_by = NULL
        FROM jsonb_to_recordset(${JSON.stringify(outputs)}::text::jsonb) AS closing(line_number int8, output jsonb)
        WHERE l.batch_id = ${batchId} AND l.line_number = closing.line_number AND l.status IN ${open}`;
      closed += updated.count;
    }
  }

  async lines(batchId: string, filter: { status?: LineStatus; providerJob?: string } = {}): Promise<BatchLine[]> {
    const sql = this.#sql;
    const status = filter.status === undefined ? sql`` : sql`AND status = ${filter.status}`;
    const job = filter.providerJob === undefined ? sql`` : sql`AND provider_job = ${filter.providerJob}`;
    const rows = await sql`SELECT batch_id, line_number, custom_id, url, request, status, provider_job, attempts, output
      FROM ${sql(this.#lines)} WHERE batch_id = ${batchId} ${status} ${job} ORDER BY line_number`;
    return rows.map((row) => lineRowSchema.parse(row));
  }

  async countLines(batchId: string): Promise<LineCounts> {
    const sql = this.#sql;
    const counts = emptyCounts();
    const rows = await sql`SELECT status, COUNT(*) AS count FROM ${sql(this.#lines)} WHERE batch_id = ${batchId} GROUP BY status`;
    for (const row of rows) counts[row.status as LineStatus] = Number(row.count);
    return counts;
  }

  async openProviderJobs(batchId: string): Promise<string[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT DISTINCT provider_job FROM ${sql(this.#lines)}
      WHERE batch_id = ${batchId} AND status = 'provider' AND provider_job IS NOT NULL ORDER BY provider_job`;
    return rows.map((row) => String(row.provider_job));
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
