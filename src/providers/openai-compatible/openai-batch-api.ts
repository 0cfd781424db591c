import { z } from 'zod';
import { chatResponseSchema, type ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { ProviderBatchApi } from '../spec.ts';
import { UpstreamError } from '../upstream-error.ts';
import { fetchUpstreamText } from '../upstream-failure.ts';

export interface OpenAIBatchApiOptions {
  name: string;
  /** Base URL including `/v1`, as the adapter's. */
  baseUrl: string;
  apiKey: string | undefined;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

const batchSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  output_file_id: z.string().nullish(),
  error_file_id: z.string().nullish(),
});
const fileSchema = z.looseObject({ id: z.string() });
const resultLineSchema = z.looseObject({
  custom_id: z.string(),
  response: z.looseObject({ status_code: z.number().int(), body: z.unknown() }).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

const STATUS: Record<string, 'in_progress' | 'completed' | 'failed' | 'expired' | 'cancelled'> = {
  validating: 'in_progress', in_progress: 'in_progress', finalizing: 'in_progress', cancelling: 'in_progress',
  completed: 'completed', failed: 'failed', expired: 'expired', cancelled: 'cancelled',
};

/**
 * OpenAI's Files + Batch API (and any OpenAI-compatible upstream that serves it): the chat lines are
 * uploaded as one JSONL file, run as a batch at the provider's batch price, and read back from the
 * output and error files.
 */
export class OpenAIBatchApi implements ProviderBatchApi {
  readonly #options: OpenAIBatchApiOptions;
  readonly #fetch: typeof fetch;
  readonly #base: string;

  constructor(options: OpenAIBatchApiOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#base = options.baseUrl.replace(/\/$/, '');
  }

  async submit(items: { customId: string; request: ChatRequest }[], options: { signal?: AbortSignal }): Promise<string> {
    const jsonl = items
      .map((item) => {
        const { stream: _stream, stream_options: _streamOptions, ...body } = item.request;
        return JSON.stringify({ custom_id: item.customId, method: 'POST', url: '/v1/chat/completions', body });
      })
      .join('\n');
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([jsonl], { type: 'application/jsonl' }), 'frugal-batch.jsonl');
    const file = fileSchema.parse(await this.#call('POST', '/files', form, options.signal));
    const body = JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const batch = batchSchema.parse(await this.#call('POST', '/batches', body, options.signal));
    return batch.id;
  }

  async poll(batchId: string): ReturnType<ProviderBatchApi['poll']> {
    const batch = batchSchema.parse(await this.#call('GET', `/batches/${encodeURIComponent(batchId)}`));
    return { status: STATUS[batch.status] ?? 'in_progress' };
  }

  async results(batchId: string): ReturnType<ProviderBatchApi['results']> {
    const batch = batchSchema.parse(await this.#call('GET', `/batches/${encodeURIComponent(batchId)}`));
    const results: Awaited<ReturnType<ProviderBatchApi['results']>> = [];
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await this.#text(`/files/${encodeURIComponent(fileId)}/content`);
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const parsed = resultLineSchema.safeParse(JSON.parse(line));
        if (!parsed.success) throw new UpstreamError('protocol', `upstream ${this.#options.name} sent a malformed batch result line`);
        const { custom_id: customId, response, error } = parsed.data;
        const answer = response?.status_code === 200 ? chatResponseSchema.safeParse(response.body) : undefined;
        if (answer?.success) results.push({ customId, response: answer.data });
        else results.push({ customId, error: { message: describeFailure(response, error), code: error?.code ?? (response ? `http_${response.status_code}` : undefined) } });
      }
    }
    return results;
  }

  async cancel(batchId: string): Promise<void> {
    await this.#call('POST', `/batches/${encodeURIComponent(batchId)}/cancel`, '{}');
  }

  async #call(method: string, path: string, body?: string | FormData, signal?: AbortSignal): Promise<unknown> {
    const text = await this.#text(path, method, body, signal);
    try {
      return JSON.parse(text);
    } catch {
      throw new UpstreamError('protocol', `upstream ${this.#options.name} sent a body that is not JSON`);
    }
  }

  async #text(path: string, method = 'GET', body?: string | FormData, signal?: AbortSignal): Promise<string> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    return fetchUpstreamText(this.#options.name, this.#fetch, `${this.#base}${path}`, { method, headers, body, signal }, this.#options.apiKey ? [this.#options.apiKey] : []);
  }
}

function describeFailure(response: { status_code: number; body?: unknown } | null | undefined, error: { message?: string | null } | null | undefined): string {
  if (error?.message) return error.message;
  const message = (response?.body as { error?: { message?: string } } | undefined)?.error?.message;
  return message ?? `the request failed with status ${response?.status_code ?? 'unknown'}`;
}
