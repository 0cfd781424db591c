import { z } from 'zod';
import { anthropicErrorBody } from './fake-anthropic-message.ts';
import type { Exchange } from './fake-http-server.ts';
import type { RequestBody } from './fake-upstream-script.ts';

/** The result of one batch request, in Anthropic's `result` shape. */
export type MessageBatchResult =
  | { type: 'succeeded'; message: unknown }
  | { type: 'errored'; error: unknown }
  | { type: 'canceled' };

/** Answers the `params` of one batch request as `POST /v1/messages` would. */
export type MessageBatchAnswerer = (params: RequestBody) => MessageBatchResult;

interface StoredMessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: 'in_progress' | 'canceling' | 'ended';
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

const createSchema = z.looseObject({
  requests: z.array(z.looseObject({ custom_id: z.string(), params: z.record(z.string(), z.unknown()) })).min(1),
});
type BatchRequest = z.infer<typeof createSchema>['requests'][number];

const isoNow = (): string => new Date().toISOString();

/**
 * Anthropic Message Batches: create, retrieve, list, cancel, results (JSONL). A batch ends after
 * `delayMs`, each request answered by the reply script; a canceled one ends with every request canceled.
 */
export class FakeAnthropicBatchApi {
  readonly batches = new Map<string, { batch: StoredMessageBatch; requests: BatchRequest[]; results: string[] }>();
  #sequence = 0;

  constructor(
    private readonly origin: string,
    private readonly delayMs: number,
    private readonly schedule: (callback: () => void, milliseconds: number) => void,
    private readonly answer: MessageBatchAnswerer,
  ) {}

  reset(): void {
    this.batches.clear();
  }

  /** Serves the request if it is a Message Batches route; returns false otherwise. */
  handle(exchange: Exchange): boolean {
    const { method, path } = exchange.recorded;
    const prefix = '/v1/messages/batches';
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    const [id, action] = path.slice(prefix.length).split('/').filter(Boolean);
    if (method === 'POST' && id === undefined) {
      this.#create(exchange);
      return true;
    }
    if (method === 'GET' && id === undefined) {
      const data = [...this.batches.values()].map((stored) => stored.batch);
      exchange.sendJson(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      return true;
    }
    const stored = id === undefined ? undefined : this.batches.get(id);
    if (!stored) exchange.sendJson(404, anthropicErrorBody({ status: 404, message: `No message batch ${id ?? ''}` }));
    else if (method === 'GET' && action === undefined) exchange.sendJson(200, stored.batch);
    else if (method === 'POST' && action === 'cancel') exchange.sendJson(200, this.#cancel(stored));
    else if (method === 'GET' && action === 'results') {
      if (stored.batch.processing_status !== 'ended') {
        exchange.sendJson(400, anthropicErrorBody({ status: 400, message: 'Batch results are available once processing has ended' }));
      } else {
        exchange.sendText(200, stored.results.map((line) => `${line}\n`).join(''), { 'content-type': 'application/x-jsonl' });
      }
    } else exchange.sendJson(404, anthropicErrorBody({ status: 404, message: `Unknown route ${method} ${path}` }));
    return true;
  }

  #create(exchange: Exchange): void {
    const parsed = createSchema.safeParse(exchange.recorded.body);
    if (!parsed.success) {
      exchange.sendJson(400, anthropicErrorBody({ status: 400, message: `Invalid batch body: ${parsed.error.message}` }));
      return;
    }
    this.#sequence += 1;
    const created = new Date();
    const batch: StoredMessageBatch = {
      id: `msgbatch_fake${this.#sequence}`,
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: parsed.data.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    };
    const stored = { batch, requests: parsed.data.requests, results: [] };
    this.batches.set(batch.id, stored);
    this.schedule(() => this.#end(stored, false), this.delayMs);
    exchange.sendJson(200, batch);
  }

  #end(stored: { batch: StoredMessageBatch; requests: BatchRequest[]; results: string[] }, canceled: boolean): void {
    const { batch } = stored;
    if (batch.processing_status === 'ended') return;
    if (batch.processing_status === 'canceling' && !canceled) return;
    for (const request of stored.requests) {
      const result: MessageBatchResult = canceled ? { type: 'canceled' } : this.answer(request.params);
      if (result.type === 'succeeded') batch.request_counts.succeeded += 1;
      else if (result.type === 'errored') batch.request_counts.errored += 1;
      else batch.request_counts.canceled += 1;
      stored.results.push(JSON.stringify({ custom_id: request.custom_id, result }));
    }
    Object.assign(batch, {
      processing_status: 'ended',
      ended_at: isoNow(),
      results_url: `${this.origin}/v1/messages/batches/${batch.id}/results`,
    });
    batch.request_counts.processing = 0;
  }

  #cancel(stored: { batch: StoredMessageBatch; requests: BatchRequest[]; results: string[] }): StoredMessageBatch {
    if (stored.batch.processing_status !== 'in_progress') return stored.batch;
    stored.batch.processing_status = 'canceling';
    stored.batch.cancel_initiated_at = isoNow();
    // Real cancellation takes a while; a short hop lets tests observe `canceling` first.
    this.schedule(() => this.#end(stored, true), Math.min(this.delayMs, 20));
    return { ...stored.batch };
  }
}
