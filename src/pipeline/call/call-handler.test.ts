import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { ProviderAdapter } from '../../providers/spec.ts';
import { priceFromSpec } from '../../pricing/price-book.ts';
import { makeTestContext } from '../testing/make-test-context.ts';
import type { ModelEntry } from '../types.ts';
import { BreakerRegistry } from './circuit-breaker.ts';
import { createCallHandler } from './call-handler.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';

const price = priceFromSpec({ input: 1, output: 1 });

/** A provider whose stream yields `chunks` (what an upstream sent). */
function streamingModel(chunks: ChatChunk[]): ModelEntry {
  const provider = {
    specVersion: 1,
    name: 'fake',
    type: 'openai-compatible',
    priceFamily: undefined,
    simulated: false,
    chat: async () => {
      throw new Error('not used');
    },
    stream: async () =>
      (async function* () {
        for (const chunk of chunks) yield structuredClone(chunk);
      })(),
  } satisfies ProviderAdapter;
  return { name: 'm', price, simulated: false, deployments: [{ provider, upstreamModel: 'm-up', price }] };
}

const base = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm-up' };
const content: ChatChunk[] = [
  { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello there' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
];
const usageChunk: ChatChunk = { ...base, choices: [], usage: { prompt_tokens: 1000, completion_tokens: 2000, total_tokens: 3000 } };
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true };

async function consumeThenStop(model: ModelEntry, keep: number) {
  const handler = createCallHandler({ retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 1_000, maxRetryAfterMs: 1_000 }, breakers: new BreakerRegistry({ failureThreshold: 5, cooldownMs: 1_000 }) });
  const context = makeTestContext({ target: model, stream: true });
  const outcome = await handler(request, context);
  if (outcome.kind !== 'stream') throw new Error('expected a stream');
  let seen = 0;
  // The edge breaks out of its loop when the client has gone: the generator is returned mid-way.
  for await (const _chunk of outcome.stream) if (++seen >= keep) break;
  return context;
}

describe('call handler: a stream the consumer stops early (review)', () => {
  it('charges the answer when the consumer stops at the estimated usage chunk of a stream without usage', async () => {
    // All content and the finish arrived, the upstream sent no usage: Frugal appends an estimated usage
    // chunk. Stopping there used to skip recording the attempt entirely — a produced answer charged $0.
    const context = await consumeThenStop(streamingModel(content), content.length + 1);
    expect(context.attempts).toHaveLength(1);
    expect(context.attempts[0].costNano).toBeGreaterThan(0);
    expect(context.attempts[0].usage?.outputTokens).toBeGreaterThan(0);
  });

  it('charges the usage the upstream reported when the consumer stops at the usage chunk', async () => {
    const context = await consumeThenStop(streamingModel([...content, usageChunk]), content.length + 1);
    expect(context.attempts).toHaveLength(1);
    // 1000 input + 2000 output tokens at $1/M each = $0.003, not an estimate from the text.
    expect(context.attempts[0].costNano).toBe(3_000_000);
    expect(context.attempts[0].usage?.estimated).toBe(false);
  });
});

describe('call handler: a client that left before the call', () => {
  /** A provider that counts the calls it is asked to send, failing each of the first `failures` with `status`. */
  function countingModel(failures = 0, status = 503, onCall: () => void = () => undefined) {
    let calls = 0;
    const answer = { id: 'c', object: 'chat.completion', created: 1, model: 'm-up', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    const provider = {
      specVersion: 1,
      name: 'counting',
      type: 'openai-compatible',
      priceFamily: undefined,
      simulated: false,
      chat: async () => {
        calls += 1;
        onCall();
        if (calls <= failures) throw new UpstreamError('http', `upstream answered ${status}`, { status });
        return { response: structuredClone(answer) };
      },
      stream: async () => {
        calls += 1;
        onCall();
        return (async function* () {})();
      },
    } satisfies ProviderAdapter;
    const deployment = { provider, upstreamModel: 'm-up', price };
    return { model: (deployments = 1): ModelEntry => ({ name: 'm', price, simulated: false, deployments: Array.from({ length: deployments }, () => deployment) }), calls: () => calls };
  }
  const handlerWith = (maxRetries: number, baseDelayMs = 1) =>
    createCallHandler({ retry: { maxRetries, baseDelayMs, maxDelayMs: baseDelayMs, timeoutMs: 1_000, maxRetryAfterMs: 1_000 }, breakers: new BreakerRegistry({ failureThreshold: 5, cooldownMs: 1_000 }), random: () => 1 });
  const plain: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  it('sends nothing upstream for a client already gone, streamed or not, and answers 499 client_closed', async () => {
    for (const stream of [false, true]) {
      const counting = countingModel();
      const controller = new AbortController();
      controller.abort(new Error('client closed the connection'));
      const context = makeTestContext({ target: counting.model(), stream, signal: controller.signal });
      await expect(handlerWith(2)({ ...plain, stream }, context)).rejects.toMatchObject({ code: 'client_closed', status: 499 });
      expect(counting.calls()).toBe(0);
      expect(context.attempts).toEqual([]);
    }
  });

  it('does not retry, nor fall back to the next deployment, for a client that left during the failed attempt', async () => {
    // A 401 is not retried and moves to the next deployment; the client leaves while the first one answers.
    const controller = new AbortController();
    const counting = countingModel(1, 401, () => controller.abort(new Error('client closed the connection')));
    const context = makeTestContext({ target: counting.model(2), signal: controller.signal });
    await expect(handlerWith(2)(plain, context)).rejects.toMatchObject({ code: 'client_closed' });
    expect(counting.calls()).toBe(1);
  });
});
