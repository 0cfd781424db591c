import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errors } from '../errors/codes.ts';
import type { Gateway } from '../gateway/build-gateway.ts';
import { anthropicRequestToChat } from '../protocol/anthropic/anthropic-request-to-chat.ts';
import { messagesRequestSchema } from '../protocol/anthropic/messages-schema.ts';
import type { Principal } from '../server/auth.ts';
import { availableModels, keyMayUse } from '../server/resolve-model.ts';
import { schemaError } from '../server/zod-error.ts';
import { MESSAGE_BATCH_ENDPOINT, processingStatus, toMessageBatch, toMessageBatchResult } from './anthropic-batch-wire.ts';
import type { BatchConfig } from './batch-config.ts';
import { epochSeconds } from './openai-wire.ts';
import type { BatchRecord, JobStore } from './store/job-store.ts';

/**
 * `msgbatch_` + the creation time in milliseconds (12 hex digits) + 20 random hex digits. The store
 * orders batches by creation second, then id, so time-ordered ids keep the list newest first
 * even for batches created within one second.
 */
const newMessageBatchId = () => `msgbatch_${Date.now().toString(16).padStart(12, '0')}${randomUUID().replace(/-/g, '').slice(0, 20)}`;

/** Anthropic keeps a Message Batch at most 24 hours. */
const WINDOW = '24h';
const WINDOW_SECONDS = 86_400;

function createSchema(maxLines: number) {
  return z.looseObject({
    requests: z
      .array(
        z.looseObject({
          custom_id: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'custom_id must be 1 to 64 letters, digits, underscores or hyphens'),
          params: messagesRequestSchema,
        }),
      )
      .min(1, 'a batch needs at least one request')
      .max(maxLines, `a batch holds at most ${maxLines} requests`),
  });
}

/**
 * Anthropic's Message Batches API on Frugal's one batch system: a Message Batch is a job in the job
 * store (endpoint `/v1/messages`, id `msgbatch_…`) whose lines are the requests translated to the
 * internal chat form, run by the same scheduler and workers as `/v1/batches` (provider batch APIs
 * or the paced pipeline, charged per line in the ledger). Every operation is scoped to the caller's
 * tenant; another tenant's batch, or an OpenAI batch, is "not found".
 */
export class AnthropicBatchService {
  constructor(
    private readonly gateway: Gateway,
    private readonly store: JobStore,
    private readonly config: BatchConfig,
    private readonly onWork: () => void = () => {},
  ) {}

  /** Validates every request (400 naming `requests[i].params.<field>`), then stores the batch in one go. */
  async create(principal: Principal, body: unknown, resultsBase: string) {
    const parsed = createSchema(this.config.max_lines).safeParse(body);
    if (!parsed.success) throw schemaError(parsed.error);
    const seen = new Map<string, number>();
    const lines = parsed.data.requests.map(({ custom_id: customId, params }, index) => {
      const first = seen.get(customId);
      if (first !== undefined) {
        throw errors.invalidRequest(`requests[${index}].custom_id: '${customId}' is already used by requests[${first}]; each custom_id must be unique`, `requests[${index}].custom_id`);
      }
      seen.set(customId, index);
      if (params.stream === true) throw errors.invalidRequest(`requests[${index}].params.stream: batch requests cannot be streamed`, `requests[${index}].params.stream`);
      if (!this.#knownModel(params.model)) {
        throw errors.invalidRequest(`requests[${index}].params.model: the model '${params.model}' does not exist`, `requests[${index}].params.model`);
      }
      // The requests run later under the tenant alone: a key limited to some models must not reach others this way.
      if (!keyMayUse(this.gateway, principal, params.model)) {
        throw errors.forbidden(`requests[${index}].params.model: this key may not use the model '${params.model}'. Allowed: ${principal.allowedModels!.join(', ')}`);
      }
      const { stream: _stream, ...request } = anthropicRequestToChat(params);
      return { lineNumber: index + 1, customId, url: '/v1/chat/completions', request: request as Record<string, unknown> };
    });
    const now = epochSeconds();
    const batch: BatchRecord = {
      id: newMessageBatchId(), tenant: principal.tenant, keyId: principal.keyId, endpoint: MESSAGE_BATCH_ENDPOINT,
      inputFileId: '', completionWindow: WINDOW, status: 'validating', createdAt: now, expiresAt: now + WINDOW_SECONDS,
      inProgressAt: null, finalizingAt: null, completedAt: null, failedAt: null, expiredAt: null, cancellingAt: null,
      cancelledAt: null, outputFileId: null, errorFileId: null, metadata: null, errors: null, total: lines.length,
    };
    await this.store.createBatch(batch, lines);
    this.gateway.logger.info({ batchId: batch.id, tenant: batch.tenant, lines: batch.total }, 'message batch created');
    this.onWork();
    return toMessageBatch(batch, await this.store.countLines(batch.id), resultsBase);
  }

  async retrieve(principal: Principal, id: string, resultsBase: string) {
    const batch = await this.#find(principal, id);
    return toMessageBatch(batch, await this.store.countLines(batch.id), resultsBase);
  }

  /** Newest first; `after_id` pages to older batches, `before_id` to newer ones. */
  async list(principal: Principal, query: { limit: number; beforeId?: string; afterId?: string }, resultsBase: string) {
    const page = await this.store.listBatches(principal.tenant, {
      limit: query.limit + 1, endpoint: MESSAGE_BATCH_ENDPOINT, after: query.afterId, before: query.afterId ? undefined : query.beforeId,
    });
    const hasMore = page.length > query.limit;
    // With before_id the extra batch is the newest one (farthest from the cursor); otherwise the oldest.
    const batches = hasMore ? (query.beforeId && !query.afterId ? page.slice(1) : page.slice(0, query.limit)) : page;
    const data = await Promise.all(batches.map(async (batch) => toMessageBatch(batch, await this.store.countLines(batch.id), resultsBase)));
    return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  /** Moves an unfinished batch to `canceling`; the scheduler closes its open lines as canceled and ends it. */
  async cancel(principal: Principal, id: string, resultsBase: string) {
    const batch = await this.#find(principal, id);
    const changed = await this.store.transitionBatch(batch.id, ['validating', 'in_progress'], { status: 'cancelling', cancellingAt: epochSeconds() });
    if (!changed && batch.status !== 'cancelling' && batch.status !== 'cancelled') {
      throw errors.invalidRequest(`Batch ${id} has already ended and cannot be canceled`, 'message_batch_id');
    }
    this.onWork();
    return this.retrieve(principal, id, resultsBase);
  }

  /** Deletes an ended batch and its lines (its results live in the lines; no result files are written). */
  async delete(principal: Principal, id: string) {
    const batch = await this.#find(principal, id);
    if (processingStatus(batch) !== 'ended') {
      throw errors.invalidRequest(`Batch ${id} is still ${processingStatus(batch)}; only an ended batch can be deleted (cancel it first)`, 'message_batch_id');
    }
    await this.store.deleteBatch(principal.tenant, batch.id);
    return { id: batch.id, type: 'message_batch_deleted' as const };
  }

  /** The results as JSONL, one line per request in request order; only once the batch has ended. */
  async results(principal: Principal, id: string): Promise<string> {
    const batch = await this.#find(principal, id);
    if (processingStatus(batch) !== 'ended') {
      throw errors.invalidRequest(`Batch ${id} is still ${processingStatus(batch)}; results are available once it has ended`, 'message_batch_id');
    }
    const lines = await this.store.lines(batch.id);
    return lines.map((line) => toMessageBatchResult(line)).filter((result) => result !== undefined).map((result) => `${JSON.stringify(result)}\n`).join('');
  }

  async #find(principal: Principal, id: string): Promise<BatchRecord> {
    const batch = id.startsWith('msgbatch_') ? await this.store.getBatch(principal.tenant, id) : undefined;
    if (!batch || batch.endpoint !== MESSAGE_BATCH_ENDPOINT) throw errors.notFound(`Message batch ${id}`);
    return batch;
  }

  #knownModel(name: string): boolean {
    const models = availableModels(this.gateway);
    return models.includes(this.gateway.config.rewrite[name] ?? name) || models.includes(name);
  }
}
