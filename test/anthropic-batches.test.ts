import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const UPSTREAM_KEY = 'sk-upstream-SECRET-123456789';
const ADMIN_KEY = 'admin-key-for-batch-tests-0123';

let upstream: FakeUpstream;
let claude: FakeUpstream;
let frugal: TestGateway;
let client: Anthropic;
let otherTenant: Anthropic;
let keyA: string;

async function createKey(tenant: string, models?: string[]): Promise<string> {
  const response = await fetch(`${frugal.url}/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ name: `${tenant}-key`, tenant, models }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { key: string }).key;
}

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
  claude = await startFakeAnthropic({ apiKey: UPSTREAM_KEY, batchDelayMs: 30 });
  frugal = await startTestGateway({
    providers: {
      plain: { type: 'openai-compatible', base_url: upstream.url, api_key: UPSTREAM_KEY },
      claude: { type: 'anthropic', base_url: claude.url, api_key: UPSTREAM_KEY },
    },
    models: {
      small: { provider: 'plain', upstream_model: 'small-1', price: { input: 1, output: 2 } },
      haiku: { provider: 'claude', upstream_model: 'claude-haiku-4-5', price: { input: 1, output: 5 } },
    },
    auth: { admin_key: ADMIN_KEY },
    cache: { enabled: false },
    retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 2, timeout_ms: 2_000 },
    ledger: { flush_interval_ms: 10 },
    batch: { poll_interval_ms: 20, provider_poll_interval_ms: 20, retry_base_delay_ms: 1, requests_per_second: 1_000 },
  });
  keyA = await createKey('acme');
  client = new Anthropic({ baseURL: frugal.url, apiKey: keyA, maxRetries: 0 });
  otherTenant = new Anthropic({ baseURL: frugal.url, apiKey: await createKey('globex'), maxRetries: 0 });
});

afterAll(async () => {
  await frugal?.close();
  await Promise.all([upstream?.close(), claude?.close()]);
});

function requests(count: number, model = 'small') {
  return Array.from({ length: count }, (_, index) => ({
    custom_id: `req-${index + 1}`,
    params: { model, max_tokens: 100, messages: [{ role: 'user' as const, content: `Classify item ${index + 1}` }] },
  }));
}

async function untilEnded(id: string, sdk = client) {
  return eventually(async () => {
    const batch = await sdk.messages.batches.retrieve(id);
    expect(batch.processing_status).toBe('ended');
    return batch;
  }, 10_000);
}

async function results(id: string) {
  const lines: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(id)) lines.push(line);
  return lines;
}

async function errorOf(promise: Promise<unknown>) {
  return promise.then(() => undefined, (error: unknown) => error as InstanceType<typeof Anthropic.APIError>);
}

describe('Anthropic Message Batches through the official @anthropic-ai/sdk client', () => {
  it('creates a batch, runs it to the end, returns each answer as an Anthropic message, lists it and deletes it', async () => {
    upstream.reset();
    upstream.setDefault({ usage: { promptTokens: 12, completionTokens: 7 } });
    const created = await client.messages.batches.create({ requests: requests(3) });
    expect(created.id).toMatch(/^msgbatch_/);
    expect(created.type).toBe('message_batch');
    expect(created.processing_status).toBe('in_progress');
    expect(created.request_counts).toEqual({ processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 });
    expect(created.results_url).toBeNull();
    expect(new Date(created.expires_at).getTime() - new Date(created.created_at).getTime()).toBe(24 * 3_600_000);

    const batch = await untilEnded(created.id);
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
    expect(batch.ended_at).not.toBeNull();
    expect(batch.results_url).toBe(`${frugal.url}/v1/messages/batches/${created.id}/results`);

    const lines = await results(created.id);
    expect(lines.map((line) => line.custom_id)).toEqual(['req-1', 'req-2', 'req-3']);
    const second = lines[1].result;
    expect(second.type).toBe('succeeded');
    if (second.type !== 'succeeded') return;
    expect(second.message).toMatchObject({ type: 'message', role: 'assistant', model: 'small', stop_reason: 'end_turn' });
    expect(second.message.content).toEqual([{ type: 'text', text: 'Fake answer from small-1: Classify item 2' }]);
    expect(second.message.usage).toMatchObject({ input_tokens: 12, output_tokens: 7 });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(3);

    // Every line is charged and recorded in the ledger as a batch request carrying the batch id.
    const records = await eventually(async () => {
      const response = await fetch(`${frugal.url}/admin/requests?limit=500&tenant=acme`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const mine = ((await response.json()) as { data: Record<string, any>[] }).data.filter((record) => record.tags?.batch_id === created.id);
      expect(mine).toHaveLength(3);
      return mine;
    });
    // 12 in × $1/M + 7 out × $2/M = 26 µ$ = 26,000 nano-dollars per line.
    expect(records.map((record) => [record.endpoint, record.costNano])).toEqual([['batch', 26_000], ['batch', 26_000], ['batch', 26_000]]);

    const listed = await client.messages.batches.list({ limit: 100 });
    expect(listed.data[0].id).toBe(created.id);
    // An Anthropic batch is not an OpenAI batch: /v1/batches neither lists nor finds it.
    const openaiList = (await (await fetch(`${frugal.url}/v1/batches`, { headers: { authorization: `Bearer ${keyA}` } })).json()) as { data: { id: string }[] };
    expect(openaiList.data.map((entry) => entry.id)).not.toContain(created.id);
    expect((await fetch(`${frugal.url}/v1/batches/${created.id}`, { headers: { authorization: `Bearer ${keyA}` } })).status).toBe(404);
    // Nor does it leave OpenAI result files in /v1/files: its results live in its lines.
    const files = (await (await fetch(`${frugal.url}/v1/files`, { headers: { authorization: `Bearer ${keyA}` } })).json()) as { data: { id: string }[] };
    expect(files.data).toEqual([]);

    expect(await client.messages.batches.delete(created.id)).toEqual({ id: created.id, type: 'message_batch_deleted' });
    expect(await errorOf(client.messages.batches.retrieve(created.id))).toBeInstanceOf(Anthropic.NotFoundError);
    expect((await client.messages.batches.list({ limit: 100 })).data.map((entry) => entry.id)).not.toContain(created.id);
  });

  it('sends the requests of an Anthropic deployment to its Message Batches API, charged at the batch price', async () => {
    claude.setDefault({ text: 'negative', usage: { promptTokens: 1_000, completionTokens: 200 } });
    const created = await client.messages.batches.create({ requests: requests(2, 'haiku') });
    await untilEnded(created.id);
    expect(claude.requestsTo('/v1/messages/batches')).toHaveLength(1);
    expect(claude.requestsTo('/v1/messages')).toHaveLength(0);
    const lines = await results(created.id);
    expect(lines.map((line) => [line.custom_id, line.result.type === 'succeeded' ? line.result.message.content : line.result.type])).toEqual([
      ['req-1', [{ type: 'text', text: 'negative' }]],
      ['req-2', [{ type: 'text', text: 'negative' }]],
    ]);
    // 1,000 in × $1/M + 200 out × $5/M = $0.002 list; half of it at the batch price, the rest saved under lever batch.
    const records = await eventually(async () => {
      const response = await fetch(`${frugal.url}/admin/requests?limit=500&tenant=acme`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const mine = ((await response.json()) as { data: Record<string, any>[] }).data.filter((record) => record.tags?.batch_id === created.id);
      expect(mine).toHaveLength(2);
      return mine;
    });
    expect(records.map((record) => [record.costNano, record.savingsNano])).toEqual([[1_000_000, { batch: 1_000_000 }], [1_000_000, { batch: 1_000_000 }]]);
  });

  it('pages the list newest first with limit, after_id and before_id', async () => {
    upstream.reset();
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) ids.push((await client.messages.batches.create({ requests: requests(1) })).id);
    const newestFirst = [...ids].reverse();
    const first = await client.messages.batches.list({ limit: 2 });
    expect(first.data.map((entry) => entry.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    expect(first.first_id).toBe(newestFirst[0]);
    expect(first.last_id).toBe(newestFirst[1]);
    const next = await client.messages.batches.list({ limit: 2, after_id: newestFirst[1] });
    expect(next.data[0].id).toBe(newestFirst[2]);
    const back = await client.messages.batches.list({ limit: 1, before_id: newestFirst[2] });
    expect(back.data.map((entry) => entry.id)).toEqual([newestFirst[1]]);
    expect(back.has_more).toBe(true);
    for (const id of ids) await untilEnded(id);
  });

  it('returns an errored result for a line whose upstream fails and succeeds the others', async () => {
    upstream.reset();
    upstream.setDefault((body) => (JSON.stringify(body.messages).includes('item 2') ? { error: { status: 400, message: 'content policy' } } : undefined));
    const created = await client.messages.batches.create({ requests: requests(3) });
    const batch = await untilEnded(created.id);
    upstream.reset();
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    const lines = await results(created.id);
    expect(lines.map((line) => [line.custom_id, line.result.type])).toEqual([['req-1', 'succeeded'], ['req-2', 'errored'], ['req-3', 'succeeded']]);
    const errored = lines[1].result;
    if (errored.type !== 'errored') throw new Error('expected an errored result');
    expect(errored.error.type).toBe('error');
    expect(errored.error.error.type).toBe('invalid_request_error');
    expect(errored.error.error.message).toContain('content policy');
  });

  it('cancels a running batch: answered requests keep their results, the others are canceled', async () => {
    upstream.reset();
    upstream.setDefault({ latencyMs: 400 });
    const created = await client.messages.batches.create({ requests: requests(30) });
    // Not ended yet: no results, and it cannot be deleted.
    const early = await fetch(`${frugal.url}/v1/messages/batches/${created.id}/results`, { headers: { 'x-api-key': keyA } });
    expect(early.status).toBe(400);
    expect(((await early.json()) as { type: string; error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(await errorOf(client.messages.batches.delete(created.id))).toBeInstanceOf(Anthropic.BadRequestError);

    const canceling = await client.messages.batches.cancel(created.id);
    expect(['canceling', 'ended']).toContain(canceling.processing_status);
    expect(canceling.cancel_initiated_at).not.toBeNull();
    const batch = await untilEnded(created.id);
    upstream.reset();
    const counts = batch.request_counts;
    expect(counts.canceled).toBeGreaterThan(0);
    expect(counts.succeeded + counts.canceled).toBe(30);
    const lines = await results(created.id);
    expect(lines).toHaveLength(30);
    expect(lines.filter((line) => line.result.type === 'canceled')).toHaveLength(counts.canceled);
  });
});

describe('validation and errors', () => {
  it('refuses invalid params with a 400 naming the request and the field, in Anthropic’s envelope', async () => {
    const bad = requests(3);
    (bad[1].params as Record<string, unknown>).max_tokens = 'lots';
    const error = await errorOf(client.messages.batches.create({ requests: bad }));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error?.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(error?.message).toContain('requests[1].params.max_tokens');

    const unknownModel = await errorOf(client.messages.batches.create({ requests: requests(2, 'no-such-model') }));
    expect(unknownModel?.message).toContain("requests[0].params.model: the model 'no-such-model' does not exist");

    const duplicate = [...requests(2), requests(1)[0]];
    const duplicated = await errorOf(client.messages.batches.create({ requests: duplicate }));
    expect(duplicated).toBeInstanceOf(Anthropic.BadRequestError);
    expect(duplicated?.message).toContain("requests[2].custom_id: 'req-1' is already used by requests[0]");
  });

  it('answers an unknown batch id with 404 not_found_error', async () => {
    for (const attempt of [
      client.messages.batches.retrieve('msgbatch_doesnotexist'),
      client.messages.batches.cancel('msgbatch_doesnotexist'),
      client.messages.batches.delete('msgbatch_doesnotexist'),
      client.messages.batches.retrieve('batch_not_an_anthropic_id'),
    ]) {
      const error = await errorOf(attempt);
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect(error?.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
  });

  it('keeps POST /v1/messages/count_tokens working next to the batch routes', async () => {
    const counted = await client.messages.countTokens({ model: 'small', messages: [{ role: 'user', content: 'hello' }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });
});

describe('tenancy', () => {
  it('another tenant can neither see, cancel, read nor delete a batch', async () => {
    upstream.reset();
    upstream.setDefault({ latencyMs: 200 });
    const running = await client.messages.batches.create({ requests: requests(5) });
    for (const attempt of [
      otherTenant.messages.batches.retrieve(running.id),
      otherTenant.messages.batches.cancel(running.id),
      otherTenant.messages.batches.delete(running.id),
      otherTenant.messages.batches.results(running.id),
    ]) {
      expect(await errorOf(attempt)).toBeInstanceOf(Anthropic.NotFoundError);
    }
    const raw = await fetch(`${frugal.url}/v1/messages/batches/${running.id}/results`, { headers: { 'x-api-key': (otherTenant.apiKey as string) } });
    expect(raw.status).toBe(404);
    expect((await otherTenant.messages.batches.list({ limit: 1000 })).data.map((entry) => entry.id)).not.toContain(running.id);
    // The owner's batch ran untouched.
    const batch = await untilEnded(running.id);
    upstream.reset();
    expect(batch.request_counts.succeeded).toBe(5);
    expect(await errorOf(otherTenant.messages.batches.delete(running.id))).toBeInstanceOf(Anthropic.NotFoundError);
    expect((await client.messages.batches.retrieve(running.id)).id).toBe(running.id);
  });
});

describe("a key's models", () => {
  it('holds for batches: a key limited to one model cannot run another through a Message Batch or /v1/batches', async () => {
    const limitedKey = await createKey('acme', ['haiku']);
    const limited = new Anthropic({ baseURL: frugal.url, apiKey: limitedKey, maxRetries: 0 });
    // The key may not call `small` directly…
    expect(await errorOf(limited.messages.create({ model: 'small', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }))).toBeInstanceOf(Anthropic.PermissionDeniedError);
    // …so neither may it queue it for later: refused when the batch is created, naming the request, and nothing runs.
    const before = (await client.messages.batches.list({ limit: 1000 })).data.length;
    const refused = await errorOf(limited.messages.batches.create({ requests: [...requests(1, 'haiku'), { ...requests(2, 'small')[1] }] }));
    expect(refused).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((refused as Error).message).toMatch(/requests\[1\]\.params\.model: this key may not use the model 'small'/);
    expect((await client.messages.batches.list({ limit: 1000 })).data.length).toBe(before);

    const openai = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: limitedKey, maxRetries: 0 });
    const line = (customId: string, model: string) => JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: 'hi' }] } });
    const file = await openai.files.create({ file: await toFile(Buffer.from([line('a', 'haiku'), line('b', 'small')].join('\n')), 'input.jsonl'), purpose: 'batch' });
    const openaiRefusal = await errorOf(openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
    expect(openaiRefusal).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((openaiRefusal as Error).message).toMatch(/Line 2 .*may not use the model 'small'/);
    expect((await openai.batches.list()).data).toEqual([]);
    // A batch of the models the key may use still runs.
    const allowed = await limited.messages.batches.create({ requests: requests(1, 'haiku') });
    expect((await untilEnded(allowed.id, limited)).request_counts.succeeded).toBe(1);
  });
});
