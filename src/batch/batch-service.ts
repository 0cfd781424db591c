import { randomUUID } from 'node:crypto';
import { errors } from '../errors/codes.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import type { Principal } from '../server/auth.ts';
import { availableModels, keyMayUse } from '../server/resolve-model.ts';
import type { BatchConfig } from './batch-config.ts';
import { MESSAGE_BATCH_ENDPOINT } from './anthropic-batch-wire.ts';
import { completionWindowSeconds, epochSeconds, toOpenAIBatch, toOpenAIFile } from './openai-wire.ts';
import { BATCH_URLS, describeInputErrors, parseBatchInput } from './parse-batch-input.ts';
import type { BatchRecord, JobStore, StoredFile } from './store/job-store.ts';

const newId = (prefix: string) => `${prefix}${randomUUID().replace(/-/g, '')}`;

/** Input of `POST /v1/batches`, already parsed. */
export interface CreateBatchInput {
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata?: Record<string, string> | null;
}

/**
 * The Files and Batches API's operations, each scoped to the caller's tenant: another tenant's
 * file or batch is "not found", never "forbidden", so ids do not leak.
 */
export class BatchService {
  constructor(
    private readonly gateway: Gateway,
    private readonly store: JobStore,
    private readonly config: BatchConfig,
    /** Called when there is new work (a batch created or cancelled). */
    private readonly onWork: () => void = () => {},
  ) {}

  async uploadFile(principal: Principal, input: { filename: string; purpose: string; content: string }) {
    if (input.purpose === 'batch') {
      const { errors: problems } = parseBatchInput(input.content, { maxLines: this.config.max_lines, knownModel: (name) => this.#knownModel(name) });
      if (problems.length > 0) throw errors.invalidRequest(describeInputErrors(problems), 'file', { details: { lines: problems } });
    }
    const file: StoredFile = {
      id: newId('file-'), tenant: principal.tenant, filename: input.filename, purpose: input.purpose,
      bytes: Buffer.byteLength(input.content), createdAt: epochSeconds(),
    };
    await this.store.putFile(file, input.content);
    return toOpenAIFile(file);
  }

  async getFile(principal: Principal, id: string) {
    const file = await this.store.getFile(principal.tenant, id);
    if (!file) throw errors.notFound(`File ${id}`);
    return toOpenAIFile(file);
  }

  async listFiles(principal: Principal, purpose?: string) {
    const files = await this.store.listFiles(principal.tenant);
    return { object: 'list' as const, data: files.filter((file) => !purpose || file.purpose === purpose).map(toOpenAIFile), has_more: false };
  }

  async fileContent(principal: Principal, id: string): Promise<string> {
    const content = await this.store.getFileContent(principal.tenant, id);
    if (content === undefined) throw errors.notFound(`File ${id}`);
    return content;
  }

  async deleteFile(principal: Principal, id: string) {
    if (!(await this.store.deleteFile(principal.tenant, id))) throw errors.notFound(`File ${id}`);
    return { id, object: 'file' as const, deleted: true };
  }

  /**
   * Creates a batch in `validating`. Lines that do not fit the batch's endpoint make it `failed`
   * at once, with one error per line (OpenAI's behaviour), rather than failing the request.
   */
  async createBatch(principal: Principal, input: CreateBatchInput) {
    if (!(BATCH_URLS as readonly string[]).includes(input.endpoint)) {
      throw errors.invalidRequest(`endpoint must be one of ${BATCH_URLS.join(', ')}`, 'endpoint');
    }
    const windowSeconds = completionWindowSeconds(input.completionWindow);
    if (windowSeconds === undefined) throw errors.invalidRequest("completion_window must look like '24h' (or '30m', '90s')", 'completion_window');
    const file = await this.store.getFile(principal.tenant, input.inputFileId);
    const content = await this.store.getFileContent(principal.tenant, input.inputFileId);
    if (!file || content === undefined) throw errors.notFound(`File ${input.inputFileId}`);
    if (file.purpose !== 'batch') throw errors.invalidRequest(`File ${file.id} has purpose '${file.purpose}', not 'batch'`, 'input_file_id');
    const parsed = parseBatchInput(content, { maxLines: this.config.max_lines, endpoint: input.endpoint, knownModel: (name) => this.#knownModel(name) });
    // The lines run later under the tenant alone: a key limited to some models must not reach others this way.
    const refused = parsed.lines.find((line) => typeof line.request.model === 'string' && !keyMayUse(this.gateway, principal, line.request.model));
    if (refused !== undefined) {
      throw errors.forbidden(`Line ${refused.lineNumber} of file ${file.id}: this key may not use the model '${String(refused.request.model)}'. Allowed: ${principal.allowedModels!.join(', ')}`);
    }
    const now = epochSeconds();
    const failed = parsed.errors.length > 0;
    const batch: BatchRecord = {
      id: newId('batch_'), tenant: principal.tenant, keyId: principal.keyId, endpoint: input.endpoint, inputFileId: file.id,
      completionWindow: input.completionWindow, status: failed ? 'failed' : 'validating', createdAt: now, expiresAt: now + windowSeconds,
      inProgressAt: null, finalizingAt: null, completedAt: null, failedAt: failed ? now : null, expiredAt: null, cancellingAt: null,
      cancelledAt: null, outputFileId: null, errorFileId: null, metadata: input.metadata ?? null,
      errors: failed ? parsed.errors.map((error) => ({ code: 'invalid_request', message: error.message, line: error.line })) : null,
      total: failed ? 0 : parsed.lines.length,
    };
    await this.store.createBatch(batch, failed ? [] : parsed.lines);
    this.gateway.logger.info({ batchId: batch.id, tenant: batch.tenant, lines: batch.total, status: batch.status }, 'batch created');
    this.onWork();
    return toOpenAIBatch(batch, await this.store.countLines(batch.id));
  }

  async getBatch(principal: Principal, id: string) {
    const batch = await this.#find(principal, id);
    return toOpenAIBatch(batch, await this.store.countLines(batch.id));
  }

  async listBatches(principal: Principal, query: { after?: string; limit: number }) {
    const page = await this.store.listBatches(principal.tenant, { after: query.after, limit: query.limit + 1, excludeEndpoint: MESSAGE_BATCH_ENDPOINT });
    const batches = page.slice(0, query.limit);
    const data = await Promise.all(batches.map(async (batch) => toOpenAIBatch(batch, await this.store.countLines(batch.id))));
    return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.length > query.limit };
  }

  /** Moves a running batch to `cancelling`; the scheduler closes its open lines and ends it as `cancelled`. */
  async cancelBatch(principal: Principal, id: string) {
    const batch = await this.#find(principal, id);
    const changed = await this.store.transitionBatch(id, ['validating', 'in_progress'], { status: 'cancelling', cancellingAt: epochSeconds() });
    if (!changed && batch.status !== 'cancelling' && batch.status !== 'cancelled') {
      throw errors.invalidRequest(`Cannot cancel a batch with status '${batch.status}'`, 'batch_id');
    }
    this.onWork();
    return this.getBatch(principal, id);
  }

  /** The tenant's OpenAI batch; Anthropic Message Batches (served under /v1/messages/batches) are not found here. */
  async #find(principal: Principal, id: string): Promise<BatchRecord> {
    const batch = await this.store.getBatch(principal.tenant, id);
    if (!batch || batch.endpoint === MESSAGE_BATCH_ENDPOINT) throw errors.notFound(`Batch ${id}`);
    return batch;
  }

  #knownModel(name: string): boolean {
    return availableModels(this.gateway).includes(this.gateway.config.rewrite[name] ?? name) || availableModels(this.gateway).includes(name);
  }
}
