import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedSameQuestion } from '../src/providers/simulated/simulated-adapter.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/** The semantic cache's "same question?" verifier on a simulated model, as a user trying docs/cache.md offline meets it. */
let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { simulated: { type: 'simulated', simulate: { latency_ms: 0, chunk_delay_ms: 0 } } },
    models: {
      'qwen3-8b': { provider: 'simulated', price: { input: 0.01, output: 0.01 } },
      'gpt-4o': { provider: 'simulated', price: { input: 2.5, output: 10 } },
    },
    routes: { helpdesk: { default: 'gpt-4o' } },
    cache: { semantic: { verifier: { model: 'qwen3-8b' }, threshold: 0.5 } },
    ledger: { flush_interval_ms: 10 },
  });
});

afterAll(async () => {
  await frugal?.close();
});

async function ask(content: string) {
  const reply = await fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'helpdesk', messages: [{ role: 'user', content }] }),
  });
  expect(reply.status).toBe(200);
  const id = reply.headers.get('x-frugal-request-id')!;
  const record = await eventually(async () => {
    const found = await fetch(`${frugal.url}/admin/requests/${id}`);
    if (found.status !== 200) throw new Error(`ledger record ${id} not written yet (${found.status})`);
    return (await found.json()) as { attempts: { purpose?: string; model: string }[] };
  });
  return { cache: reply.headers.get('x-frugal-cache'), attempts: record.attempts };
}

describe('semantic cache verifier on a simulated model', () => {
  it('answers "yes" for a rewording, so the hit is served and the verifier call is charged', async () => {
    expect((await ask('How do I reset my password?')).cache).toBe('miss');
    const reworded = await ask('how can i reset my password');
    expect(reworded.cache).toBe('semantic-hit');
    expect(reworded.attempts.filter((attempt) => attempt.purpose === 'verifier').map((attempt) => attempt.model)).toEqual(['qwen3-8b']);
  });

  it('answers "no" for questions that share few words, and the request goes upstream', async () => {
    expect((await ask('How long does shipping take to reach my home address?')).cache).toBe('miss');
    const other = await ask('How long does shipping take?');
    expect(other.cache).toBe('miss');
    expect(other.attempts.some((attempt) => attempt.purpose === 'verifier')).toBe(true);
  });

  it('decides by shared words, case and punctuation ignored', () => {
    expect(simulatedSameQuestion('How do I reset my password?', 'how can i reset my password')).toBe(true);
    expect(simulatedSameQuestion('How long does shipping take to reach my home address?', 'How long does shipping take?')).toBe(false);
  });
});
