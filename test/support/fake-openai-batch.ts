import { z } from 'zod';
import type { Exchange } from './fake-http-server.ts';
import { openAIErrorBody } from './fake-openai-chat.ts';
import type { RequestBody } from './fake-upstream-script.ts';

/** Answers one batch line as the synchronous endpoint `url` would: status code and body. */
export type BatchLineAnswerer = (url: string, body: RequestBody) => { status: number; body: unknown };

interface StoredFile {
  meta: { id: string; object: 'file'; bytes: number; created_at: number; filename: string; purpose: string; status: 'processed'; status_details: null; expires_at: null };
  content: string;
}

type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

interface StoredBatch {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: { code: string; message: string; line: number | null; param: null }[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
}

const createBatchSchema = z.looseObject({
  input_file_id: z.string(),
  endpoint: z.string(),
  completion_window: z.string(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
const inputLineSchema = z.looseObject({
  custom_id: z.string(),
  method: z.string(),
  url: z.string(),
  body: z.record(z.string(), z.unknown()),
});

const now = (): number => Math.floor(Date.now() / 1000);

/**
 * OpenAI Files + Batch API: upload a JSONL file, create a batch, poll it; after `delayMs` the batch
 * completes and its output file holds one line per input line, each answered by the reply script.
 */
export class FakeOpenAIBatchApi {
  readonly files = new Map<string, StoredFile>();
  readonly batches = new Map<string, StoredBatch>();
  #sequence = 0;

  constructor(
    private readonly delayMs: number,
    private readonly schedule: (callback: () => void, milliseconds: number) => void,
    private readonly answerLine: BatchLineAnswerer,
  ) {}

  reset(): void {
    this.files.clear();
    this.batches.clear();
  }

  /** Serves the request if it is a Files or Batches route; returns false otherwise. */
  async handle(exchange: Exchange): Promise<boolean> {
    const { method, path } = exchange.recorded;
    const segments = path.split('/').filter(Boolean); // ['v1', 'files', id, 'content']
    if (segments[0] !== 'v1' || (segments[1] !== 'files' && segments[1] !== 'batches')) return false;
    const [, collection, id, action] = segments;
    const notFound = () => exchange.sendJson(404, openAIErrorBody({ status: 404, message: `No such ${collection}: ${id ?? ''}` }));

    if (collection === 'files') {
      if (method === 'POST' && id === undefined) return this.#upload(exchange).then(() => true);
      const file = id === undefined ? undefined : this.files.get(id);
      if (method === 'GET' && id === undefined) exchange.sendJson(200, { object: 'list', data: [...this.files.values()].map((stored) => stored.meta) });
      else if (!file) notFound();
      else if (method === 'GET' && action === 'content') exchange.sendText(200, file.content, { 'content-type': 'application/octet-stream' });
      else if (method === 'GET' && action === undefined) exchange.sendJson(200, file.meta);
      else if (method === 'DELETE') {
        this.files.delete(file.meta.id);
        exchange.sendJson(200, { id: file.meta.id, object: 'file', deleted: true });
      } else notFound();
      return true;
    }

    if (method === 'POST' && id === undefined) this.#create(exchange);
    else if (method === 'GET' && id === undefined) exchange.sendJson(200, { object: 'list', data: [...this.batches.values()], has_more: false });
    else {
      const batch = id === undefined ? undefined : this.batches.get(id);
      if (!batch) notFound();
      else if (method === 'GET' && action === undefined) exchange.sendJson(200, batch);
      else if (method === 'POST' && action === 'cancel') exchange.sendJson(200, this.#cancel(batch));
      else notFound();
    }
    return true;
  }

  #storeFile(filename: string, purpose: string, content: string): StoredFile {
    this.#sequence += 1;
    const id = `file-fake${this.#sequence}`;
    const meta = { id, object: 'file' as const, bytes: Buffer.byteLength(content), created_at: now(), filename, purpose, status: 'processed' as const, status_details: null, expires_at: null };
    const stored = { meta, content };
    this.files.set(id, stored);
    return stored;
  }

  async #upload(exchange: Exchange): Promise<void> {
    const contentType = exchange.recorded.headers['content-type'] ?? '';
    const form = await new Request('http://fake.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: exchange.recorded.rawBody,
    }).formData();
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (typeof purpose !== 'string' || file === null || typeof file === 'string') {
      exchange.sendJson(400, openAIErrorBody({ status: 400, message: 'multipart body needs `purpose` and `file`' }));
      return;
    }
    const content = await file.text();
    exchange.recorded.body = { purpose, filename: file.name, content };
    exchange.sendJson(200, this.#storeFile(file.name, purpose, content).meta);
  }

  #create(exchange: Exchange): void {
    const parsed = createBatchSchema.safeParse(exchange.recorded.body);
    const input = parsed.success ? this.files.get(parsed.data.input_file_id) : undefined;
    if (!parsed.success || !input) {
      const message = parsed.success ? `No such file: ${parsed.data.input_file_id}` : parsed.error.message;
      exchange.sendJson(400, openAIErrorBody({ status: 400, message }));
      return;
    }
    this.#sequence += 1;
    const created = now();
    const batch: StoredBatch = {
      id: `batch_fake${this.#sequence}`,
      object: 'batch',
      endpoint: parsed.data.endpoint,
      errors: null,
      input_file_id: input.meta.id,
      completion_window: parsed.data.completion_window,
      status: 'in_progress',
      output_file_id: null,
      error_file_id: null,
      created_at: created,
      in_progress_at: created,
      expires_at: created + 86_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: input.content.split('\n').filter((line) => line.trim() !== '').length, completed: 0, failed: 0 },
      metadata: parsed.data.metadata ?? null,
    };
    this.batches.set(batch.id, batch);
    this.schedule(() => this.#finish(batch, input.content), this.delayMs);
    exchange.sendJson(200, batch);
  }

  #finish(batch: StoredBatch, content: string): void {
    if (batch.status !== 'in_progress') return;
    const outputLines: string[] = [];
    const lines = content.split('\n').filter((line) => line.trim() !== '');
    for (const [index, line] of lines.entries()) {
      let parsedLine: z.infer<typeof inputLineSchema>;
      try {
        parsedLine = inputLineSchema.parse(JSON.parse(line));
      } catch {
        batch.status = 'failed';
        batch.failed_at = now();
        batch.errors = { object: 'list', data: [{ code: 'invalid_json_line', message: `Line ${index + 1} is not a valid request`, line: index + 1, param: null }] };
        return;
      }
      const answer = this.answerLine(parsedLine.url, parsedLine.body);
      if (answer.status === 200) batch.request_counts.completed += 1;
      else batch.request_counts.failed += 1;
      const response = { status_code: answer.status, request_id: `req_fake_${batch.id}_${index}`, body: answer.body };
      outputLines.push(JSON.stringify({ id: `batch_req_fake_${index}`, custom_id: parsedLine.custom_id, response, error: null }));
    }
    const output = this.#storeFile(`${batch.id}_output.jsonl`, 'batch_output', outputLines.map((line) => `${line}\n`).join(''));
    const finished = now();
    Object.assign(batch, { status: 'completed', output_file_id: output.meta.id, finalizing_at: finished, completed_at: finished });
  }

  #cancel(batch: StoredBatch): StoredBatch {
    if (batch.status !== 'in_progress' && batch.status !== 'validating') return batch;
    batch.status = 'cancelling';
    batch.cancelling_at = now();
    // Real cancellation takes a while; a short hop lets tests observe `cancelling` first.
    this.schedule(() => Object.assign(batch, { status: 'cancelled', cancelled_at: now() }), Math.min(this.delayMs, 20));
    return { ...batch };
  }
}
