/**
 * Durable state of the Files and Batches API: uploaded files, batches, and one row per input line.
 * Every read that a client triggers is scoped by tenant; the workers' methods are not (they serve
 * every tenant). Backends: SQLite (one process, the default) and PostgreSQL (replicas sharing work,
 * lines claimed with `FOR UPDATE SKIP LOCKED`). Both pass `jobStoreContract`.
 */

/** An uploaded or generated file, in OpenAI's `file` shape minus the content. */
export interface StoredFile {
  id: string;
  tenant: string;
  filename: string;
  purpose: string;
  bytes: number;
  /** Epoch seconds. */
  createdAt: number;
}

export type BatchStatus = 'validating' | 'in_progress' | 'finalizing' | 'completed' | 'failed' | 'expired' | 'cancelling' | 'cancelled';

/** Statuses the scheduler still works on. */
export const ACTIVE_BATCH_STATUSES: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing', 'cancelling'];

/** The batch as kept in the store; `toOpenAIBatch` turns it into the wire object. */
export interface BatchRecord {
  id: string;
  tenant: string;
  keyId: string | null;
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  status: BatchStatus;
  /** Epoch seconds, like OpenAI's batch object. */
  createdAt: number;
  expiresAt: number;
  inProgressAt: number | null;
  finalizingAt: number | null;
  completedAt: number | null;
  failedAt: number | null;
  expiredAt: number | null;
  cancellingAt: number | null;
  cancelledAt: number | null;
  outputFileId: string | null;
  errorFileId: string | null;
  metadata: Record<string, string> | null;
  errors: { code: string; message: string; line: number | null }[] | null;
  total: number;
}

/**
 * pending → running (a worker holds its lease) → done | failed;
 * pending → provider (sent in a provider batch) → done | failed;
 * any open state → cancelled | expired.
 */
export type LineStatus = 'pending' | 'running' | 'provider' | 'done' | 'failed' | 'cancelled' | 'expired';
export const OPEN_LINE_STATUSES: readonly LineStatus[] = ['pending', 'running', 'provider'];

/** One input line of a batch. `request` is the line's `body`; `output` its finished output-file line. */
export interface BatchLine {
  batchId: string;
  /** 1-based line number in the input file (blank lines do not count). */
  lineNumber: number;
  customId: string;
  url: string;
  request: Record<string, unknown>;
  status: LineStatus;
  /** `provider:providerBatchId` while in a provider batch. */
  providerJob: string | null;
  attempts: number;
  output: Record<string, unknown> | null;
}

/** A line a worker has claimed, with the batch owner it runs for. */
export interface ClaimedLine extends BatchLine {
  tenant: string;
  keyId: string | null;
}

export type LineCounts = Record<LineStatus, number>;

export interface BatchListQuery {
  /** Cursor: the id of the last batch of the previous page (the page holds older batches). */
  after?: string;
  /** Cursor: the id of the first batch of the next page (the page holds the newer batches just before it). */
  before?: string;
  /** Only batches with this `endpoint` (`/v1/messages` for Anthropic Message Batches). */
  endpoint?: string;
  /** Leave out batches with this `endpoint`. */
  excludeEndpoint?: string;
  limit: number;
}

/** Changes to a batch row; `status` is checked against `from` atomically. */
export type BatchPatch = Partial<Omit<BatchRecord, 'id' | 'tenant' | 'keyId' | 'createdAt' | 'total'>>;

export interface JobStore {
  putFile(file: StoredFile, content: string): Promise<void>;
  getFile(tenant: string, id: string): Promise<StoredFile | undefined>;
  getFileContent(tenant: string, id: string): Promise<string | undefined>;
  listFiles(tenant: string): Promise<StoredFile[]>;
  deleteFile(tenant: string, id: string): Promise<boolean>;

  /** Stores the batch and all its lines in one transaction. */
  createBatch(batch: BatchRecord, lines: Omit<BatchLine, 'batchId' | 'status' | 'providerJob' | 'attempts' | 'output'>[]): Promise<void>;
  getBatch(tenant: string, id: string): Promise<BatchRecord | undefined>;
  /** The tenant's batches, newest first (also with `before`). */
  listBatches(tenant: string, query: BatchListQuery): Promise<BatchRecord[]>;
  /** Deletes the tenant's batch and its lines; true when it existed. */
  deleteBatch(tenant: string, id: string): Promise<boolean>;
  /** Batches in an active status, every tenant (for the scheduler). */
  listActiveBatches(): Promise<BatchRecord[]>;
  /** Applies `patch` only if the batch's status is one of `from`; true when it did. */
  transitionBatch(id: string, from: readonly BatchStatus[], patch: BatchPatch): Promise<boolean>;
  /** Takes or renews the batch's lease (who submits, polls and finalizes); true when `owner` holds it. */
  leaseBatch(id: string, owner: string, leaseMs: number): Promise<boolean>;

  /**
   * Claims up to `limit` lines of in-progress batches that are pending or whose lease ran out,
   * so that no two workers hold one line; each claim counts an attempt.
   */
  claimLines(owner: string, limit: number, leaseMs: number): Promise<ClaimedLine[]>;
  /** Extends the leases `owner` still holds. */
  renewLines(owner: string, keys: { batchId: string; lineNumber: number }[], leaseMs: number): Promise<void>;
  /** Gives a claimed line back as pending (to retry later). */
  releaseLine(owner: string, batchId: string, lineNumber: number): Promise<void>;
  /**
   * Finishes a line exactly once: applies only while the line is in `from` (and, for `running`,
   * still leased by `owner`). True when this call finished it.
   */
  finishLine(
    key: { batchId: string; lineNumber: number },
    from: { status: 'running'; owner: string } | { status: 'provider'; providerJob: string },
    result: { status: 'done' | 'failed'; output: Record<string, unknown> },
  ): Promise<boolean>;
  /** Marks pending lines (by number) as sent to a provider batch. */
  assignProviderJob(batchId: string, lineNumbers: number[], providerJob: string): Promise<void>;
  /** Closes every open line of `statuses` as cancelled or expired, with its error-file line. */
  closeOpenLines(batchId: string, statuses: readonly LineStatus[], status: 'cancelled' | 'expired', output: (line: BatchLine) => Record<string, unknown>): Promise<number>;
  lines(batchId: string, filter?: { status?: LineStatus; providerJob?: string }): Promise<BatchLine[]>;
  countLines(batchId: string): Promise<LineCounts>;
  /** Provider jobs that still have lines waiting on them. */
  openProviderJobs(batchId: string): Promise<string[]>;
  close(): Promise<void>;
}

export function emptyCounts(): LineCounts {
  return { pending: 0, running: 0, provider: 0, done: 0, failed: 0, cancelled: 0, expired: 0 };
}
