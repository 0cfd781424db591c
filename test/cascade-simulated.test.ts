import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedGrade } from '../src/providers/simulated/simulated-adapter.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

/**
 * The "Trying a cascade offline" example of docs/routing.md, run as written: the seed models' prices
 * on the simulated provider, the support-bot cascade with a simulated judge. The figures and trace
 * lines asserted here are the ones the docs show.
 */
let frugal: TestGateway;

beforeAll(async () => {
  frugal = await startTestGateway({
    providers: { simulated: { type: 'simulated', simulate: { latency_ms: 0, chunk_delay_ms: 0 } } },
    models: {
      'qwen3-8b': { provider: 'simulated', price: { input: 0.01, output: 0.01 } },
      'deepseek-v4-flash': { provider: 'simulated', price: { input: 0.25, output: 0.25 } },
      'deepseek-reasoner': { provider: 'simulated', price: { input: 2.5, output: 2.5 } },
      'gpt-4o-mini': { provider: 'simulated', price: { input: 0.15, output: 0.6 } },
    },
    routes: {
      'support-bot': {
        cascade: ['qwen3-8b', { model: 'deepseek-v4-flash', threshold: 0.9 }, 'deepseek-reasoner'],
        judge: { model: 'qwen3-8b', max_tokens: 16 },
        max_cost_usd: 0.02,
      },
      // The docs' shadow: { sample: 0.05, judge: gpt-4o-mini }, sampling every request.
      'support-shadowed': { default: 'qwen3-8b', baseline: 'deepseek-reasoner', shadow: { sample: 1, judge: 'gpt-4o-mini' } },
    },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
  });
});

afterAll(async () => {
  await frugal?.close();
});

async function ask(content: string, extra: Record<string, unknown> = {}, model = 'support-bot') {
  const reply = await fetch(`${frugal.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
  });
  expect(reply.status).toBe(200);
  const header = (name: string) => reply.headers.get(name);
  const id = header('x-frugal-request-id')!;
  const record = await eventually(async () => {
    const found = await fetch(`${frugal.url}/admin/requests/${id}`);
    expect(found.status).toBe(200);
    return (await found.json()) as { trace: { stage: string; detail: string }[] };
  });
  const cascade = record.trace.filter((decision) => decision.stage === 'cascade').map((decision) => decision.detail);
  return { tier: header('x-frugal-tier'), outcome: header('x-frugal-cascade'), model: header('x-frugal-model'), cost: header('x-frugal-cost'), baseline: header('x-frugal-baseline-cost'), cascade };
}

describe('the docs\' support-bot cascade on simulated models', () => {
  it('serves an ordinary question from the cheap tier, graded by the simulated judge, for far less than the baseline', async () => {
    const answer = await ask('How do I reset my password?');
    expect(answer).toMatchObject({ tier: '1', outcome: 'accepted', model: 'qwen3-8b', cost: '0.00000185', baseline: '0.0001375' });
    expect(answer.cascade).toEqual(['tier 1 (qwen3-8b) accepted: score 0.89 (needs 0.8); judge qwen3-8b: 9/10']);
  });

  it('escalates an answer the simulated judge marks down, and one cut off by max_tokens', async () => {
    const markedDown = await ask('Where can I download my invoices?');
    expect(markedDown).toMatchObject({ tier: '2', model: 'deepseek-v4-flash', cost: '0.00001686', baseline: '0.0001375' });
    expect(markedDown.cascade).toEqual([
      'tier 1 (qwen3-8b) rejected: score 0.56 (needs 0.8); judge qwen3-8b: 6/10',
      'tier 2 (deepseek-v4-flash) accepted: score 1.00 (needs 0.9); judge qwen3-8b: 10/10',
    ]);
    const cut = await ask('How do I reset my password?', { max_tokens: 8 });
    expect(cut).toMatchObject({ tier: '3', outcome: 'none-accepted', model: 'deepseek-reasoner', cost: '0.00005796', baseline: '0.0000525' });
    expect(cut.cascade).toEqual([
      'tier 1 (qwen3-8b) rejected: score 0.00 (needs 0.8); cut off (finish_reason: length)',
      'tier 2 (deepseek-v4-flash) rejected: score 0.00 (needs 0.9); cut off (finish_reason: length)',
      'tier 3 (deepseek-reasoner) rejected: score 0.00 (needs hard checks only); cut off (finish_reason: length)',
      'no tier accepted: serving the best answer so far, tier 3',
    ]);
  });

  it('accepts most ordinary questions at the cheap tier', async () => {
    const questions = [
      'How do I change my email address?',
      'How do I cancel my subscription?',
      'Can I get a refund for last month?',
      'How do I add a team member?',
      'Why was my card declined?',
      'How do I export my data?',
      'Is there a mobile app?',
      'How do I turn on two-factor authentication?',
    ];
    const tiers = [];
    for (const question of questions) tiers.push((await ask(question)).tier);
    expect(tiers.filter((tier) => tier === '1').length).toBeGreaterThanOrEqual(6);
  });
});

describe('shadow evaluation with a simulated judge', () => {
  it('writes the outcomes line, scored in the judge\'s format and marked "simulated": true', async () => {
    const served = await ask('How do I reset my password?', {}, 'support-shadowed');
    expect(served.model).toBe('qwen3-8b');
    const file = join(frugal.dataDir, 'outcomes', 'shadow.jsonl');
    const line = await eventually(() => {
      expect(existsSync(file)).toBe(true);
      return JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!);
    });
    expect(line).toMatchObject({ route: 'support-shadowed', judge: 'gpt-4o-mini', served_model: 'qwen3-8b', baseline_model: 'deepseek-reasoner', simulated: true });
    const cheap = line.outcomes['qwen3-8b'];
    const baseline = line.outcomes['deepseek-reasoner'];
    expect(cheap.score).toBe(simulatedGrade('gpt-4o-mini', cheap.response));
    expect(baseline.score).toBe(simulatedGrade('gpt-4o-mini', baseline.response));
    expect(frugal.logs.some((text) => /could not be parsed/.test(text))).toBe(false);
  });
});
