import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * A client that leaves while its request waits inside Frugal (a retry backoff, a micro-batch window)
 * costs no upstream call afterwards: the request is recorded as aborted (499 client_closed).
 */
let upstream: FakeUpstream;
let frugal: TestGateway;

const SYSTEM = 'You label product reviews as positive or negative. Answer with one word. '.repeat(3);

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-gone-test-0000000' });
  frugal = await startTestGateway({
    providers: { up: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-gone-test-0000000' } },
    models: {
      plain: { provider: 'up', price: { input: 1, output: 4 } },
      packed: { provider: 'up', price: { input: 1, output: 4 } },
    },
    retry: { max_retries: 2, base_delay_ms: 1, max_delay_ms: 2, timeout_ms: 5_000 },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
    batch: { micro_batch: { models: ['packed'], window_ms: 3_000, max_items: 4 } },
  });
});
afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

function send(model: string, content: string, signal?: AbortSignal): Promise<Response | undefined> {
  return fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content }] }),
    signal,
  }).catch(() => undefined);
}

/** The ledger's records with `status`, once `count` of them are written. */
async function recordsWith(status: string, count: number) {
  return eventually(async () => {
    await frugal.gateway.ledger.flush();
    const found = (await frugal.gateway.stores.ledger.query({ limit: 100 })).filter((record) => record.status === status);
    expect(found.length).toBeGreaterThanOrEqual(count);
    return found;
  });
}

describe('a client gone before Frugal forwards its request', () => {
  it('gets no retry after a backoff it left during', async () => {
    // The first answer is a 503 asking for a 1 s wait; the client leaves during that wait.
    upstream.script({ error: { status: 503, retryAfter: 1 } });
    const controller = new AbortController();
    const pending = send('plain', 'retry me', controller.signal);
    await eventually(() => expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1));
    controller.abort();
    await pending;
    const [record] = await recordsWith('aborted', 1);
    expect(record).toMatchObject({ httpStatus: 499, errorCode: 'client_closed' });
    // The record is written when the request ends: no attempt can follow it.
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });

  it('is left out of a micro-batch pack it left while waiting for', async () => {
    upstream.setDefault((body) => {
      const user = (body.messages as { content: string }[]).at(-1)?.content ?? '';
      const numbered = [...user.matchAll(/^\[(\d+)\] (.*)$/gm)];
      return { text: numbered.map((match) => `[${match[1]}] ${match[2].includes('bad') ? 'negative' : 'positive'}`).join('\n') || 'positive' };
    });
    const before = (await recordsWith('aborted', 0)).length;
    // Two clients send and leave at once; two others arrive later and fill the pack (max_items 4).
    const leaving = ['bad zipper', 'great laces'].map((review) => {
      const controller = new AbortController();
      return { controller, pending: send('packed', review, controller.signal) };
    });
    // Both reach the pack's window (3 s) before they leave: the window opens with the first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const { controller } of leaving) controller.abort();
    await Promise.all(leaving.map(({ pending }) => pending));
    const staying = await Promise.all(['bad sole', 'nice colour'].map((review) => send('packed', review)));
    const answers = await Promise.all(staying.map(async (response) => ((await response!.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content));
    expect(answers).toEqual(['negative', 'positive']);
    // One packed call, holding only the questions of the clients still there.
    const calls = upstream.requestsTo('/v1/chat/completions');
    expect(calls).toHaveLength(1);
    const packedPrompt = (calls[0].body.messages as { content: string }[]).at(-1)?.content ?? '';
    expect(packedPrompt).toContain('bad sole');
    expect(packedPrompt).toContain('nice colour');
    expect(packedPrompt).not.toContain('bad zipper');
    expect(packedPrompt).not.toContain('great laces');
    const aborted = await recordsWith('aborted', before + 2);
    expect(aborted.slice(0, 2).map((record) => record.httpStatus)).toEqual([499, 499]);
  });
});
