import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * Micro-batching as `npm start` users try it: on the simulated provider, with no upstream. The simulated
 * model answers a pack with one numbered answer per question, so every item gets its own answer (the one
 * it gets when asked alone) from the packed call, and none is asked again.
 */
let frugal: TestGateway;
let client: OpenAI;

const SYSTEM = 'You are the help desk of an online shop. Answer in one short paragraph, politely, and never promise refunds. '.repeat(4);

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { simulated: { type: 'simulated' } },
    models: { 'gpt-4o-mini': { provider: 'simulated', price: { input: 0.15, output: 0.6 } } },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
    // A pack leaves as soon as it holds three prompts; the long window only keeps the three together.
    batch: { micro_batch: { models: ['gpt-4o-mini'], window_ms: 5_000, max_items: 3 } },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => frugal?.close());

async function ledger(id: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const response = await fetch(`${frugal.url}/admin/requests/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  });
}

/** What the model answers the question alone: a stream is never packed. */
async function askedAlone(question: string): Promise<string> {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: question }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('micro-batching on the simulated provider', () => {
  it('answers each packed prompt with its own answer from one call, with the micro_batch saving in the ledger', async () => {
    const questions = ['Where is my parcel?', 'Can I change the delivery address?', 'Do you ship to Norway?'];
    const results = await Promise.all(
      questions.map((question) => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: question }] }).withResponse()),
    );
    expect(results.map(({ response }) => response.headers.get('x-frugal-micro-batch')).sort()).toEqual(['1/3', '2/3', '3/3']);
    for (const [index, { data }] of results.entries()) {
      const answer = data.choices[0].message.content!;
      expect(answer).toContain('simulated');
      expect(answer).toContain(questions[index]);
      expect(answer).toBe(await askedAlone(questions[index]));
    }
    const records = await Promise.all(results.map(({ response }) => ledger(response.headers.get('x-frugal-request-id')!)));
    for (const record of records) {
      // Answered from the pack: one accepted share of the packed call, never asked again alone.
      expect(record.attempts.map((attempt: { status: string }) => attempt.status)).toEqual(['ok']);
      expect(record.trace.filter((decision: { stage: string }) => decision.stage === 'micro_batch').map((decision: { detail: string }) => decision.detail)).toEqual([
        expect.stringMatching(/^packed with 2 other prompt\(s\) as item [123]$/),
      ]);
      // The long shared system prompt is paid once instead of three times.
      expect(record.savingsNano.micro_batch).toBeGreaterThan(0);
    }
  });
});
