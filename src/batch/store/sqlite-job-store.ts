import { openSqliteDatabase, type SqliteDatabase } from '../../store/sqlite/open-sqlite-database.ts';
import { batchData, batchRowSchema, claimedRowSchema, fileRowSchema, lineRowSchema } from './job-rows.ts';
import {
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch_files (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, filename TEXT NOT NULL, purpose TEXT NOT NULL,
  bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, content TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batch_files_tenant ON batch_files (tenant, created_at);
CREATE TABLE IF NOT EXISTS batches (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
  owner TEXT, owner_until INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batches_tenant ON batches (tenant, created_at);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status);
CREATE TABLE IF NOT EXISTS batch_lines (
  batch_id TEXT NOT NULL, line_number INTEGER NOT NULL, custom_id TEXT NOT NULL, url TEXT NOT NULL,
  request TEXT NOT NULL, status TEXT NOT NULL, provider_job TEXT, claimed_by TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, output TEXT,
  PRIMARY KEY (batch_id, line_number), UNIQUE (batch_id, custom_id));
CREATE INDEX IF NOT EXISTS batch_lines_status ON batch_lines (status, batch_id);
`;

const LINE_COLUMNS = 'l.batch_id, l.line_number, l.custom_id, l.url, l.request, l.status, l.provider_job, l.attempts, l.output';

/**
 * The default job store: one SQLite file (`batches.db`) in WAL mode. Claims run in IMMEDIATE
 * transactions, so even two processes sharing the file never claim one line twice.
 */
export class SqliteJobStore implements JobStore {
  readonly #database: SqliteDatabase;

  constructor(options: { path: string }) {
    this.#database = openSqliteDatabase(options.path);
    this.#database.exec(SCHEMA);
  }

  async putFile(file: StoredFile, content: string): Promise<void> {
    this.#database
      .prepare('INSERT OR IGNORE INTO batch_files (id, tenant, filename, purpose, bytes, created_at, content) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(file.id, file.tenant, file.filename, file.purpose, file.bytes, file.createdAt, content);
  }

  async getFile(tenant: string, id: string): Promise<StoredFile | undefined> {
    const row = this.#database.prepare('SELECT id, tenant, filename, purpose, bytes, created_at FROM batch_files WHERE tenant = ? AND id = ?').get(tenant, id);
    return row === undefined ? undefined : fileRowSchema.parse(row);
  }

  async getFileContent(tenant: string, id: string): Promise<string | undefined> {
    const row = this.#database.prepare('SELECT content FROM batch_files WHERE tenant = ? AND id = ?').get(tenant, id) as { content: string } | undefined;
    return row?.content;
  }

  async listFiles(tenant: string): Promise<StoredFile[]> {
    const rows = this.#database.prepare('SELECT id, tenant, filename, purpose, bytes, created_at FROM batch_files WHERE tenant = ? ORDER BY created_at DESC, id DESC').all(tenant);
    return rows.map((row) => fileRowSchema.parse(row));
  }

  async deleteFile(tenant: string, id: string): Promise<boolean> {
    return this.#database.prepare('DELETE FROM batch_files WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
  }

  async createBatch(batch: BatchRecord, lines: Parameters<JobStore['createBatch']>[1]): Promise<void> {
    const insertBatch = this.#database.prepare('INSERT INTO batches (id, tenant, status, created_at, data) VALUES (?, ?, ?, ?, ?)');
    const insertLine = this.#database.prepare(
      "INSERT INTO batch_lines (batch_id, line_number, custom_id, url, request, status) VALUES (?, ?, ?, ?, ?, 'pending')",
    );
    this.#database.transaction(() => {
      insertBatch.run(batch.id, batch.tenant, batch.status, batch.createdAt, JSON.stringify(batchData(batch)));
      for (const line of lines) insertLine.run(batch.id, line.lineNumber, line.customId, line.url, JSON.stringify(line.request));
    })();
  }

  async getBatch(tenant: string, id: string): Promise<BatchRecord | undefined> {
    const row = this.#database.prepare('SELECT status, data FROM batches WHERE tenant = ? AND id = ?').get(tenant, id);
    return row === undefined ? undefined : batchRowSchema.parse(row);
  }

  async listBatches(tenant: string, query: BatchListQuery): Promise<BatchRecord[]> {
    const where = ['tenant = ?'];
    const values: unknown[] = [tenant];
    if (query.after) {
      where.push('(created_at, id) < (SELECT created_at, id FROM batches WHERE id = ? AND tenant = ?)');
      values.push(query.after, tenant);
    }
    if (query.before) {
      where.push('(created_at, id) > (SELECT created_at, id FROM batches WHERE id = ? AND tenant = ?)');
      values.push(query.before, tenant);
    }
    if (query.endpoint !== undefined) {
      where.push("json_extract(data, '$.endpoint') = ?");
      values.push(query.endpoint);
    }
    if (query.excludeEndpoint !== undefined) {
      where.push("json_extract(data, '$.endpoint') IS NOT ?");
      values.push(query.excludeEndpoint);
    }
    // With `before` the page is the batches just newer than the cursor: taken oldest first, returned newest first.
    const order = query.before ? 'ASC' : 'DESC';
    const rows = this.#database
      .prepare(`SELECT status, data FROM batches WHERE ${where.join(' AND ')} ORDER BY created_at ${order}, id ${order} LIMIT ?`)
      .all(...values, query.limit);
    const batches = rows.map((row) => batchRowSchema.parse(row));
    return query.before ? batches.reverse() : batches;
  }

  async deleteBatch(tenant: string, id: string): Promise<boolean> {
    return this.#database.transaction(() => {
      const deleted = this.#database.prepare('DELETE FROM batches WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
      if (deleted) this.#database.prepare('DELETE FROM batch_lines WHERE batch_id = ?').run(id);
      return deleted;
    })();
  }

  async listActiveBatches(): Promise<BatchRecord[]> {
    const rows = this.#database
      .prepare("SELECT status, data FROM batches WHERE status IN ('validating', 'in_progress', 'finalizing', 'cancelling') ORDER BY created_at, id")
      .all();
    return rows.map((row) => batchRowSchema.parse(row));
  }

  async transitionBatch(id: string, from: readonly BatchStatus[], patch: BatchPatch): Promise<boolean> {
    return this.#database
      .transaction(() => {
        const row = this.#database.prepare('SELECT status, data FROM batches WHERE id = ?').get(id);
        if (row === undefined) return false;
        const batch = batchRowSchema.parse(row);
        if (!from.includes(batch.status)) return false;
        const next: BatchRecord = { ...batch, ...patch };
        this.#database.prepare('UPDATE batches SET status = ?, data = ? WHERE id = ?').run(next.status, JSON.stringify(batchData(next)), id);
        return true;
      })
      .immediate();
  }

  async leaseBatch(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const result = this.#database
      .prepare('UPDATE batches SET owner = ?, owner_until = ? WHERE id = ? AND (owner IS NULL OR owner = ? OR owner_until < ?)')
      .run(owner, now + leaseMs, id, owner, now);
    return result.changes > 0;
  }

  async claimLines(owner: string, limit: number, leaseMs: number): Promise<ClaimedLine[]> {
    if (limit <= 0) return [];
    return this.#database
      .transaction(() => {
        const now = Date.now();
        const rows = this.#database
          .prepare(
            `SELECT ${LINE_COLUMNS}, b.tenant, json_extract(b.data, '$.keyId') AS key_id FROM batch_lines l JOIN batches b ON b.id = l.batch_id
             WHERE b.status = 'in_progress' AND (l.status = 'pending' OR (l.status = 'running' AND l.lease_until < ?))
             ORDER BY b.created_at, l.batch_id, l.line_number LIMIT ?`,
          )
          .all(now, limit);
        const claim = this.#database.prepare(
          "UPDATE batch_lines SET status = 'running', claimed_by = ?, lease_until = ?, attempts = attempts + 1 WHERE batch_id = ? AND line_number = ?",
        );
        return rows.map((row) => {
          const { tenant, keyId, line } = claimedRowSchema.parse(row);
          claim.run(owner, now + leaseMs, line.batchId, line.lineNumber);
          return { ...line, status: 'running' as const, attempts: line.attempts + 1, tenant, keyId };
        });
      })
      .immediate();
  }

  async renewLines(owner: string, keys: { batchId: string; lineNumber: number }[], leaseMs: number): Promise<void> {
    const renew = this.#database.prepare("UPDATE batch_lines SET lease_until = ? WHERE batch_id = ? AND line_number = ? AND claimed_by = ? AND status = 'running'");
    const until = Date.now() + leaseMs;
    this.#database.transaction(() => {
      for (const key of keys) renew.run(until, key.batchId, key.lineNumber, owner);
    })();
  }

  async releaseLine(owner: string, batchId: string, lineNumber: number): Promise<void> {
    this.#database
      .prepare("UPDATE batch_lines SET status = 'pending', claimed_by = NULL, lease_until = 0 WHERE batch_id = ? AND line_number = ? AND claimed_by = ? AND status = 'running'")
      .run(batchId, lineNumber, owner);
  }

  async finishLine(...[key, from, result]: Parameters<JobStore['finishLine']>): Promise<boolean> {
    const output = JSON.stringify(result.output);
    const changes =
      from.status === 'running'
        ? this.#database
            .prepare("UPDATE batch_lines SET status = ?, output = ?, claimed_by = NULL WHERE batch_id = ? AND line_number = ? AND status = 'running' AND claimed_by = ?")
            .run(result.status, output, key.batchId, key.lineNumber, from.owner).changes
        : this.#database
            .prepare("UPDATE batch_lines SET status = ?, output = ? WHERE batch_id = ? AND line_number = ? AND status = 'provider' AND provider_job = ?")
            .run(result.status, output, key.batchId, key.lineNumber, from.providerJob).changes;
    return changes > 0;
  }

  async assignProviderJob(batchId: string, lineNumbers: number[], providerJob: string): Promise<void> {
    const assign = this.#database.prepare("UPDATE batch_lines SET status = 'provider', provider_job = ? WHERE batch_id = ? AND line_number = ? AND status = 'pending'");
    this.#database.transaction(() => {
      for (const lineNumber of lineNumbers) assign.run(providerJob, batchId, lineNumber);
    })();
  }

  async closeOpenLines(...[batchId, statuses, status, output]: Parameters<JobStore['closeOpenLines']>): Promise<number> {
    return this.#database
      .transaction(() => {
        const open = (this.#database.prepare(`SELECT ${LINE_COLUMNS} FROM batch_lines l WHERE l.batch_id = ?`).all(batchId))
          .map((row) => lineRowSchema.parse(row))
          .filter((line) => statuses.includes(line.status));
        const close = this.#database.prepare('UPDATE batch_lines SET status = ?, output = ?, claimed_by = NULL WHERE batch_id = ? AND line_number = ?');
        for (const line of open) close.run(status, JSON.stringify(output(line)), batchId, line.lineNumber);
        return open.length;
      })
      .immediate();
  }

  async lines(batchId: string, filter: { status?: LineStatus; providerJob?: string } = {}): Promise<BatchLine[]> {
    const rows = this.#database
      .prepare(
        `SELECT ${LINE_COLUMNS} FROM batch_lines l WHERE l.batch_id = ? AND (? IS NULL OR l.status = ?) AND (? IS NULL OR l.provider_job = ?) ORDER BY l.line_number`,
      )
      .all(batchId, filter.status ?? null, filter.status ?? null, filter.providerJob ?? null, filter.providerJob ?? null);
    return rows.map((row) => lineRowSchema.parse(row));
  }

  async countLines(batchId: string): Promise<LineCounts> {
    const counts = emptyCounts();
    const rows = this.#database.prepare('SELECT status, COUNT(*) AS count FROM batch_lines WHERE batch_id = ? GROUP BY status').all(batchId) as { status: LineStatus; count: number }[];
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  async openProviderJobs(batchId: string): Promise<string[]> {
    const rows = this.#database
      .prepare("SELECT DISTINCT provider_job FROM batch_lines WHERE batch_id = ? AND status = 'provider' AND provider_job IS NOT NULL ORDER BY provider_job")
      .all(batchId) as { provider_job: string }[];
    return rows.map((row) => row.provider_job);
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }
}
