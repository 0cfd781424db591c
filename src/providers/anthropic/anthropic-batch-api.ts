import { z } from 'zod';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { chatRequestToAnthropic } from '../../protocol/anthropic/chat-request-to-anthropic.ts';
import { anthropicResponseToChat } from '../../protocol/anthropic/anthropic-response-to-chat.ts';
import { messagesResponseSchema } from '../../protocol/anthropic/messages-schema.ts';
import type { ProviderBatchApi } from '../spec.ts';
import { UpstreamError } from '../upstream-error.ts';
import { fetchUpstreamText } from '../upstream-failure.ts';

export interface AnthropicBatchApiOptions {
  name: string;
  /** Origin plus any path prefix, without `/v1` (as the adapter's). */
  baseUrl: string;
  apiKey: string | undefined;
  anthropicVersion?: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

const batchSchema = z.looseObject({ id: z.string(), processing_status: z.string(), results_url: z.string().nullish() });
const resultLineSchema = z.looseObject({
  custom_id: z.string(),
  result: z.looseObject({ type: z.string(), message: z.unknown().optional(), error: z.unknown().optional() }),
});

/**
 * Anthropic Message Batches: chat requests are translated to Messages params, sent as one batch
 * (half price), and read back from the results JSONL once processing has ended.
 */
export class AnthropicBatchApi implements ProviderBatchApi {
  readonly #options: AnthropicBatchApiOptions;
  readonly #fetch: typeof fetch;
  readonly #base: string;

  constructor(options: AnthropicBatchApiOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#base = options.baseUrl.replace(/\/$/, '').replace(/\/v1$/, '');
  }

  async submit(items: { customId: string; request: ChatRequest }[], options: { signal?: AbortSignal }): Promise<string> {
    const requests = items.map((item) => {
      const params = chatRequestToAnthropic(item.request, item.request.model).body as Record<string, unknown>;
      delete params.stream;
      return { custom_id: item.customId, params };
    });
    const batch = batchSchema.parse(JSON.parse(await this.#text('POST', '/v1/messages/batches', JSON.stringify({ requests }), options.signal)));
    return batch.id;
  }

  async poll(batchId: string): ReturnType<ProviderBatchApi['poll']> {
    const batch = batchSchema.parse(JSON.parse(await this.#text('GET', `/v1/messages/batches/${encodeURIComponent(batchId)}`)));
    return { status: batch.processing_status === 'ended' ? 'completed' : 'in_progress' };
  }

  async results(batchId: string): ReturnType<ProviderBatchApi['results']> {
    const text = await this.#text('GET', `/v1/messages/batches/${encodeURIComponent(batchId)}/results`);
    const results: Awaited<ReturnType<ProviderBatchApi['results']>> = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const parsed = resultLineSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.#options.name} sent a malformed batch result line`);
      const { custom_id: customId, result } = parsed.data;
      const message = result.type === 'succeeded' ? messagesResponseSchema.safeParse(result.message) : undefined;
      if (message?.success) results.push({ customId, response: anthropicResponseToChat(message.data) });
      else results.push({ customId, error: { message: describeError(result), code: result.type === 'canceled' ? 'batch_cancelled' : result.type === 'expired' ? 'batch_expired' : 'upstream_error' } });
    }
    return results;
  }

  async cancel(batchId: string): Promise<void> {
    await this.#text('POST', `/v1/messages/batches/${encodeURIComponent(batchId)}/cancel`);
  }

  async #text(method: string, path: string, body?: string, signal?: AbortSignal): Promise<string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': this.#options.anthropicVersion ?? '2023-06-01',
      ...this.#options.headers,
    };
    if (this.#options.apiKey) headers['x-api-key'] = this.#options.apiKey;
    return fetchUpstreamText(this.#options.name, this.#fetch, `${this.#base}${path}`, { method, headers, body, signal }, this.#options.apiKey ? [this.#options.apiKey] : []);
  }
}

function describeError(result: { type: string; error?: unknown }): string {
  if (result.type === 'canceled') return 'the request was cancelled before it ran';
  if (result.type === 'expired') return 'the provider batch expired before the request ran';
  const error = result.error as { error?: { message?: string }; message?: string } | undefined;
  return error?.error?.message ?? error?.message ?? `the request ${result.type}`;
}
