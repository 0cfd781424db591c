import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

const OPENAI_KEY = 'sk-test-openai-SECRET-state-01';
const ADMIN_KEY = 'admin-key-for-state-tests-0123';

let upstream: FakeUpstream;
let frugal: TestGateway;
/** Clients of two tenants (virtual keys), so every test also runs under tenant scoping. */
let acme: OpenAI;
let globex: OpenAI;
let acmeKey: string;

const config = (upstreamUrl: string) => ({
  auth: { admin_key: ADMIN_KEY },
  providers: { primary: { type: 'openai-compatible', base_url: upstreamUrl, api_key: OPENAI_KEY } },
  // Hand-checked prices (USD per 1M tokens): 2,500 nano-dollars an input token, 10,000 an output token.
  models: { 'gpt-4o': { provider: 'primary', upstream_model: 'gpt-4o-2024-08-06', price: { input: 2.5, output: 10 } } },
  retry: { max_retries: 0, base_delay_ms: 1, max_delay_ms: 5, timeout_ms: 2_000 },
  ledger: { flush_interval_ms: 20 },
  cache: { enabled: false },
});

async function createKey(gateway: TestGateway, tenant: string): Promise<string> {
  const response = await fetch(`${gateway.url}/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ name: `${tenant}-app`, tenant }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { key: string }).key;
}

const clientFor = (gateway: TestGateway, key: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  frugal = await startTestGateway(config(upstream.url));
  acmeKey = await createKey(frugal, 'acme');
  acme = clientFor(frugal, acmeKey);
  globex = clientFor(frugal, await createKey(frugal, 'globex'));
});

afterEach(() => upstream.reset());

afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

function sentToUpstream() {
  const requests = upstream.requestsTo('/v1/chat/completions');
  return requests[requests.length - 1].body as Record<string, any>;
}

async function ledgerRecord(gateway: TestGateway, id: string) {
  const response = await fetch(`${gateway.url}/admin/requests/${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** A request's error as the SDK raises it. */
async function failure(promise: Promise<unknown>): Promise<any> {
  return promise.then(() => expect.unreachable('the request succeeded'), (error: unknown) => error);
}

describe('previous_response_id', () => {
  it('chains three turns: the upstream receives the whole conversation and only the newest instructions', async () => {
    upstream.script({ text: 'Paris.' });
    const first = await acme.responses.create({ model: 'gpt-4o', instructions: 'Answer in one word.', input: 'Capital of France?' });
    expect(first).toMatchObject({ store: true, previous_response_id: null, output_text: 'Paris.' });

    upstream.script({ text: 'Berlin.' });
    const second = await acme.responses.create({ model: 'gpt-4o', instructions: 'Answer in one sentence.', previous_response_id: first.id, input: 'And of Germany?' });
    expect(second).toMatchObject({ store: true, previous_response_id: first.id, instructions: 'Answer in one sentence.' });
    expect(sentToUpstream().messages).toEqual([
      { role: 'system', content: 'Answer in one sentence.' },
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'And of Germany?' },
    ]);

    upstream.script({ text: 'Rome.' });
    // No instructions on the third turn: none reach the upstream (they are not carried over).
    const third = await acme.responses.create({ model: 'gpt-4o', previous_response_id: second.id, input: [{ role: 'user', content: [{ type: 'input_text', text: 'And of Italy?' }] }] });
    expect(third.output_text).toBe('Rome.');
    expect(third.instructions).toBeNull();
    expect(sentToUpstream().messages).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'And of Germany?' },
      { role: 'assistant', content: 'Berlin.' },
      { role: 'user', content: [{ type: 'text', text: 'And of Italy?' }] },
    ]);
  });

  it('charges a continued turn for the whole conversation the upstream received', async () => {
    const long = `Remember this list: ${'apple pear plum '.repeat(250)}`;
    upstream.script({ text: 'Noted.' });
    const first = await acme.responses.create({ model: 'gpt-4o', input: long });
    // The fake upstream reports usage from what it received (about four characters a token).
    upstream.script({ text: 'Three fruits.' });
    const { data: second, response } = await acme.responses.create({ model: 'gpt-4o', previous_response_id: first.id, input: 'How many kinds?' }).withResponse();
    const inputTokens = second.usage!.input_tokens;
    expect(inputTokens).toBeGreaterThan(long.length / 4);
    const expectedNano = inputTokens * 2_500 + second.usage!.output_tokens * 10_000;
    expect(Math.round(Number(response.headers.get('x-frugal-cost')) * 1e9)).toBe(expectedNano);
    const record = await eventually(() => ledgerRecord(frugal, response.headers.get('x-frugal-request-id')!));
    expect(record).toMatchObject({ endpoint: 'responses', tenant: 'acme', inputTokens, costNano: expectedNano, status: 'ok' });
  });

  it('carries a tool call across turns: the function_call output item, then its function_call_output', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true }];
    upstream.script({ toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const first = await acme.responses.create({ model: 'gpt-4o', instructions: 'Use tools.', input: 'Weather in Paris?', tools });
    expect(first.output).toMatchObject([{ type: 'function_call', call_id: 'call_w1', name: 'get_weather' }]);

    upstream.script({ text: 'It is 18°C in Paris.' });
    const second = await acme.responses.create({
      model: 'gpt-4o',
      tools,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: 'call_w1', output: '{"temp_c":18}' }],
    });
    expect(second.output_text).toBe('It is 18°C in Paris.');
    expect(sentToUpstream().messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: '{"temp_c":18}' },
    ]);
  });

  it('answers an unknown id with OpenAI\'s 400 previous_response_not_found, before any upstream call', async () => {
    const error = await failure(acme.responses.create({ model: 'gpt-4o', previous_response_id: 'resp_doesnotexist', input: 'and then?' }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'previous_response_not_found', param: 'previous_response_id', message: "Previous response with id 'resp_doesnotexist' not found." });
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('keeps each tenant to its own responses: another tenant\'s id is not found, exactly as an unknown one', async () => {
    upstream.script({ text: 'Secret plan: none.' });
    const mine = await acme.responses.create({ model: 'gpt-4o', input: 'What is our secret plan?' });
    const chained = await failure(globex.responses.create({ model: 'gpt-4o', previous_response_id: mine.id, input: 'Repeat it.' }));
    expect(chained.status).toBe(400);
    expect(chained.error).toMatchObject({ code: 'previous_response_not_found', message: `Previous response with id '${mine.id}' not found.` });
    const retrieved = await failure(globex.responses.retrieve(mine.id));
    const unknown = await failure(globex.responses.retrieve('resp_doesnotexist'));
    expect(retrieved).toBeInstanceOf(OpenAI.NotFoundError);
    expect({ ...retrieved.error, message: undefined }).toEqual({ ...unknown.error, message: undefined });
    expect((await failure(globex.responses.inputItems.list(mine.id))).status).toBe(404);
    expect((await failure(globex.responses.delete(mine.id))).status).toBe(404);
    // Still there for its owner.
    expect((await acme.responses.retrieve(mine.id)).output_text).toBe('Secret plan: none.');
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('what is stored', () => {
  it('stores nothing for store: false: the answer says so and its id is not found later', async () => {
    upstream.script({ text: 'Not kept.' });
    const response = await acme.responses.create({ model: 'gpt-4o', input: 'Forget this.', store: false });
    expect(response).toMatchObject({ store: false });
    expect((await failure(acme.responses.retrieve(response.id))).status).toBe(404);
    const chained = await failure(acme.responses.create({ model: 'gpt-4o', previous_response_id: response.id, input: 'What did I say?' }));
    expect(chained.error.code).toBe('previous_response_not_found');
  });

  it('stores a streamed response once it completed, before the client could ask for it', async () => {
    upstream.script({ text: 'one two three', usage: { promptTokens: 12, completionTokens: 3 } });
    const stream = await acme.responses.create({ model: 'gpt-4o', input: 'count', stream: true });
    let created: OpenAI.Responses.Response | undefined;
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.created') created = event.response;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(created).toMatchObject({ store: true });
    expect(completed?.id).toBe(created?.id);
    // The SDK adds output_text to a retrieved Response (not to a stream event's).
    expect(await acme.responses.retrieve(completed!.id)).toEqual({ ...completed, output_text: 'one two three' });

    upstream.script({ text: 'four.' });
    await acme.responses.create({ model: 'gpt-4o', previous_response_id: completed!.id, input: 'go on' });
    expect(sentToUpstream().messages).toEqual([
      { role: 'user', content: 'count' },
      { role: 'assistant', content: 'one two three' },
      { role: 'user', content: 'go on' },
    ]);
  });

  it('stores nothing of a stream that failed mid-way', async () => {
    upstream.script({ text: 'one two three four five six', streamError: { afterChunks: 3, status: 500 } });
    const stream = await acme.responses.create({ model: 'gpt-4o', input: 'count', stream: true });
    let id: string | undefined;
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.created') id = event.response.id;
    }
    expect(types.at(-1)).toBe('error');
    expect(id).toMatch(/^resp_/);
    expect((await failure(acme.responses.retrieve(id!))).status).toBe(404);
  });

  it('stores an incomplete response (cut at max_output_tokens) as it was answered', async () => {
    upstream.script({ text: 'Once upon a', finishReason: 'length' });
    const response = await acme.responses.create({ model: 'gpt-4o', input: 'Tell a story', max_output_tokens: 16 });
    expect(response.status).toBe('incomplete');
    expect(await acme.responses.retrieve(response.id)).toEqual(response);
  });
});

describe('GET and DELETE /v1/responses/{id}, GET …/input_items', () => {
  it('retrieves the Response as it was answered, lists its conversation, and deletes it', async () => {
    upstream.script({ text: 'Paris.' }, { text: 'Berlin.' });
    const first = await acme.responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Capital of France?', metadata: { session: 's1' } });
    const second = await acme.responses.create({
      model: 'gpt-4o',
      previous_response_id: first.id,
      input: [{ role: 'developer', content: 'Answer with the city only.' }, { role: 'user', content: 'And of Germany?' }],
    });
    const retrieved = await acme.responses.retrieve(second.id);
    expect(retrieved).toEqual(second);
    expect(retrieved).toMatchObject({ object: 'response', status: 'completed', store: true, previous_response_id: first.id });

    // Newest first by default, as OpenAI lists them; message contents as parts.
    const listed = await acme.responses.inputItems.list(second.id);
    const texts = listed.data.map((item) => (item.type === 'message' ? `${item.role}: ${(item.content[0] as { text: string }).text}` : item.type));
    expect(texts).toEqual(['user: And of Germany?', 'developer: Answer with the city only.', 'assistant: Paris.', 'user: Capital of France?']);
    expect(listed.data[0]).toMatchObject({ type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', content: [{ type: 'input_text', text: 'And of Germany?' }] });
    expect(listed.data[2]).toEqual(first.output[0]);
    const raw = await fetch(`${frugal.url}/v1/responses/${second.id}/input_items`, { headers: { authorization: `Bearer ${acmeKey}` } });
    expect(await raw.json()).toEqual({ object: 'list', data: listed.data, first_id: listed.data[0].id, last_id: listed.data[3].id, has_more: false });

    // Paged with limit and after, in either order; the SDK's iterator follows has_more.
    const ascending = await acme.responses.inputItems.list(second.id, { order: 'asc', limit: 3 });
    expect(ascending.data.map((item) => item.id)).toEqual(listed.data.map((item) => item.id).reverse().slice(0, 3));
    expect(ascending.has_more).toBe(true);
    const all: string[] = [];
    for await (const item of acme.responses.inputItems.list(second.id, { limit: 1 })) all.push(item.id);
    expect(all).toEqual(listed.data.map((item) => item.id));

    const deleted = await fetch(`${frugal.url}/v1/responses/${first.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${acmeKey}` } });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: first.id, object: 'response.deleted', deleted: true });
    expect((await failure(acme.responses.retrieve(first.id))).status).toBe(404);
    expect((await failure(acme.responses.delete(first.id))).status).toBe(404);
    // The later turn keeps its whole conversation: it does not depend on the deleted one.
    upstream.script({ text: 'Rome.' });
    await acme.responses.create({ model: 'gpt-4o', previous_response_id: second.id, input: 'And of Italy?' });
    expect(sentToUpstream().messages.map((message: { content: unknown }) => message.content)).toEqual([
      'Capital of France?', 'Paris.', 'Answer with the city only.', 'And of Germany?', 'Berlin.', 'And of Italy?',
    ]);
  });

  it('answers wrong inputs with 4xx in the OpenAI envelope', async () => {
    upstream.script({ text: 'ok' });
    const { id } = await acme.responses.create({ model: 'gpt-4o', input: 'x' });
    const get = async (path: string, key: string | null = acmeKey) => {
      const response = await fetch(`${frugal.url}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
      return { status: response.status, error: ((await response.json()) as { error: Record<string, unknown> }).error };
    };
    expect(await get(`/v1/responses/${id}`, null)).toMatchObject({ status: 401, error: { code: 'missing_api_key' } });
    expect(await get('/v1/responses/resp_nope')).toMatchObject({ status: 404, error: { type: 'not_found_error', message: "Response with id 'resp_nope' not found." } });
    expect(await get('/v1/responses/%E2%9C%93%20weird')).toMatchObject({ status: 404 });
    expect(await get(`/v1/responses/${id}/input_items?limit=0`)).toMatchObject({ status: 400, error: { param: 'limit' } });
    expect(await get(`/v1/responses/${id}/input_items?limit=abc`)).toMatchObject({ status: 400, error: { param: 'limit' } });
    expect(await get(`/v1/responses/${id}/input_items?order=sideways`)).toMatchObject({ status: 400, error: { param: 'order' } });
    expect(await get(`/v1/responses/${id}/input_items?after=msg_unknown`)).toMatchObject({ status: 400, error: { param: 'after' } });
    expect(await get(`/v1/responses/${id}?stream=true`)).toMatchObject({ status: 400, error: { param: 'stream' } });
    const post = await fetch(`${frugal.url}/v1/responses/${id}`, { method: 'POST', headers: { authorization: `Bearer ${acmeKey}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, DELETE');
  });
});

describe('stored responses across a restart, expiry, and storage turned off', () => {
  it('keeps responses in the data dir (SQLite) across a gateway restart', async () => {
    const first = await startTestGateway(config(upstream.url));
    const key = await createKey(first, 'acme');
    upstream.script({ text: 'Paris.' });
    const answer = await clientFor(first, key).responses.create({ model: 'gpt-4o', input: 'Capital of France?' });
    await first.close();

    const second = await startTestGateway(config(upstream.url), { dataDir: first.dataDir });
    try {
      const client = clientFor(second, key);
      expect(await client.responses.retrieve(answer.id)).toEqual(answer);
      upstream.script({ text: 'Berlin.' });
      await client.responses.create({ model: 'gpt-4o', previous_response_id: answer.id, input: 'And of Germany?' });
      expect(sentToUpstream().messages).toEqual([
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'Paris.' },
        { role: 'user', content: 'And of Germany?' },
      ]);
    } finally {
      await second.close();
    }
  });

  it('forgets a response once responses.ttl_days has passed', async () => {
    // 0.00001 days = 864 ms.
    const shortLived = await startTestGateway({ ...config(upstream.url), auth: {}, store: 'memory', responses: { ttl_days: 0.00001 } });
    try {
      const client = new OpenAI({ baseURL: `${shortLived.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      upstream.script({ text: 'Soon gone.' });
      const answer = await client.responses.create({ model: 'gpt-4o', input: 'x' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await failure(client.responses.retrieve(answer.id))).status).toBe(404);
      const chained = await failure(client.responses.create({ model: 'gpt-4o', previous_response_id: answer.id, input: 'y' }));
      expect(chained.error.code).toBe('previous_response_not_found');
    } finally {
      await shortLived.close();
    }
  });

  it('with responses.store: false stores nothing and refuses previous_response_id as before, saying why', async () => {
    const stateless = await startTestGateway({ ...config(upstream.url), auth: {}, responses: { store: false } });
    try {
      const client = new OpenAI({ baseURL: `${stateless.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      upstream.script({ text: 'ok' });
      const answer = await client.responses.create({ model: 'gpt-4o', input: 'x' });
      expect(answer).toMatchObject({ store: false });
      const error = await failure(client.responses.create({ model: 'gpt-4o', input: 'and then?', previous_response_id: answer.id }));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe('previous_response_id');
      expect(error.message).toMatch(/stores no responses \(config responses\.store: false\); send the whole conversation in input/);
      const retrieved = await failure(client.responses.retrieve(answer.id));
      expect(retrieved.status).toBe(404);
      expect(retrieved.message).toMatch(/stores no responses/);
      expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
    } finally {
      await stateless.close();
    }
  });
});
