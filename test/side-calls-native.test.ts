// Side calls a request makes (an LLM judge, a shadow baseline and its judge) send their own prompt, even when the
// client spoke Anthropic's Messages API to Anthropic-provider models: the client's native body is for its own answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeAnthropic } from './support/fake-anthropic-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let claude: FakeUpstream;
let frugal: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  claude = await startFakeAnthropic({ apiKey: 'sk-ant-side-calls-0000' });
  frugal = await startTestGateway({
    providers: { claude: { type: 'anthropic', base_url: claude.url, api_key: 'sk-ant-side-calls-0000' } },
    models: {
      haiku: { provider: 'claude', price: { input: 1, output: 5 } },
      sonnet: { provider: 'claude', price: { input: 3, output: 15 } },
      grader: { provider: 'claude', price: { input: 1, output: 5 } },
    },
    routes: {
      judged: { cascade: ['haiku', 'sonnet'], judge: { model: 'grader' }, baseline: 'sonnet' },
      shadowed: { default: 'haiku', baseline: 'sonnet', shadow: { sample: 1, judge: 'grader' } },
    },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
  });
  client = new Anthropic({ baseURL: frugal.url, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await frugal?.close();
  await claude?.close();
});

const userText = (body: Record<string, any>) => JSON.stringify(body.messages);

describe('side calls of a /v1/messages request to Anthropic models', () => {
  it("asks the cascade's judge the grading question, not the client's question", async () => {
    claude.setDefault((body) => (body.model === 'grader' ? { text: '9' } : body.model === 'haiku' ? { text: 'Canberra is the capital.' } : { text: 'Canberra.' }));
    const message = await client.messages.create({ model: 'judged', max_tokens: 100, system: 'Answer in one sentence.', messages: [{ role: 'user', content: 'What is the capital of Australia?' }] });
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Canberra is the capital.' })]);
    const graderCalls = claude.requestsTo('/v1/messages').filter((request) => request.body.model === 'grader');
    expect(graderCalls).toHaveLength(1);
    // The judge sees the cheap tier's answer to grade; the client's own system prompt is not the judge's.
    expect(userText(graderCalls[0].body)).toContain('Canberra is the capital.');
    expect(graderCalls[0].body.system).not.toBe('Answer in one sentence.');
    claude.reset();
  });

  it("sends the shadow's judge both answers to compare", async () => {
    claude.setDefault((body) => (body.model === 'grader' ? { text: 'A: 8\nB: 8' } : body.model === 'haiku' ? { text: 'Served answer.' } : { text: 'Baseline answer.' }));
    await client.messages.create({ model: 'shadowed', max_tokens: 100, messages: [{ role: 'user', content: 'Say something.' }] });
    const graderCalls = await eventually(() => {
      const calls = claude.requestsTo('/v1/messages').filter((request) => request.body.model === 'grader');
      expect(calls).toHaveLength(1);
      return calls;
    });
    expect(userText(graderCalls[0].body)).toContain('Served answer.');
    expect(userText(graderCalls[0].body)).toContain('Baseline answer.');
    // The baseline itself answers the client's question.
    const baseline = claude.requestsTo('/v1/messages').find((request) => request.body.model === 'sonnet');
    expect(userText(baseline!.body)).toContain('Say something.');
    claude.reset();
  });
});
