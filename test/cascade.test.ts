import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI } from './support/fake-openai-upstream.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import type { ScriptedReply } from './support/fake-upstream-script.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/start-test-gateway.ts';

let upstream: FakeUpstream;
let frugal: TestGateway;
let client: OpenAI;

const checkModule = join(mkdtempSync(join(tmpdir(), 'frugal-check-')), 'no-bad-words.mjs');
writeFileSync(checkModule, "export default (request, response) => ({ pass: !response.choices[0].message.content.includes('bad'), score: 0.95 });\n");

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  frugal = await startTestGateway({
    providers: { fake: { type: 'openai-compatible', base_url: upstream.url, api_key: 'sk-fake-000000' } },
    models: {
      base: { provider: 'fake', price: { input: 2.5, output: 10 } },
      'tier-small': { provider: 'fake', price: { input: 0.01, output: 0.01 } },
      'tier-mid': { provider: 'fake', price: { input: 0.25, output: 0.25 } },
      'tier-big': { provider: 'fake', price: { input: 2.5, output: 2.5 } },
      'judge-model': { provider: 'fake', price: { input: 0.1, output: 0.1 } },
    },
    routes: {
      cascade: { cascade: ['tier-small', 'tier-mid', 'tier-big'], baseline: 'base' },
      'two-tier': { cascade: ['tier-small', 'tier-big'], baseline: 'base' },
      judged: { cascade: ['tier-small', 'tier-mid'], judge: { model: 'judge-model' }, baseline: 'base' },
      checked: { cascade: ['tier-small', 'tier-mid'], check_module: checkModule, baseline: 'base' },
      instructed: { cascade: ['tier-small', 'tier-mid'], checks: { instructions: true }, baseline: 'base' },
      shadowed: { default: 'tier-small', baseline: 'base', shadow: { sample: 1, judge: 'judge-model' } },
    },
    cache: { enabled: false },
    ledger: { flush_interval_ms: 10 },
  });
  client = new OpenAI({ baseURL: `${frugal.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterEach(() => upstream.reset());
afterAll(async () => {
  await frugal?.close();
  await upstream?.close();
});

/** Tier answers by model: the cheap tier gives `small`, the next one a good answer. */
function scriptTiers(small: ScriptedReply, mid: ScriptedReply = { text: 'A good answer from the middle tier.' }): void {
  upstream.setDefault((body) => (body.model === 'tier-small' ? small : body.model === 'tier-mid' ? mid : undefined));
}

async function ledgerRecord(id: string): Promise<Record<string, any>> {
  return eventually(async () => {
    const reply = await fetch(`${frugal.url}/admin/requests/${id}`);
    expect(reply.status).toBe(200);
    return (await reply.json()) as Record<string, any>;
  });
}

const question = [{ role: 'user' as const, content: 'What is the capital of Australia?' }];
const saveTool = { type: 'function' as const, function: { name: 'save', parameters: { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] } } };
const labelSchema = { type: 'json_schema' as const, json_schema: { name: 'label', schema: { type: 'object', properties: { label: { enum: ['a', 'b'] } }, required: ['label'] } } };

const escalations: [string, Record<string, unknown>, ScriptedReply, ScriptedReply?][] = [
  ['an empty answer', {}, { text: '' }],
  ['a refusal', {}, { text: "I'm sorry, but I can't help with that." }],
  ['an "I don\'t know"', {}, { text: "I don't know the answer to that." }],
  ['finish_reason length', {}, { text: 'The capital of Austr', finishReason: 'length' }],
  ['invalid JSON for json_object', { response_format: { type: 'json_object' } }, { text: 'Canberra, I think' }, { text: '{"city":"Canberra"}' }],
  ['JSON not matching the json_schema', { response_format: labelSchema }, { text: '{"label":"c"}' }, { text: '{"label":"a"}' }],
  ['tool arguments invalid against the schema', { tools: [saveTool] }, { toolCalls: [{ name: 'save', arguments: { age: 'old' } }] }, { toolCalls: [{ name: 'save', arguments: { age: 42 } }] }],
  ['low logprob confidence', {}, { text: 'Maybe Sydney?', logprobs: [-3, -3, -3, -3, -3, -3] }],
];

describe('cascade checks escalate to the next tier', () => {
  it.each(escalations)('on %s, and charges the rejected tier', async (_name, extra, small, mid) => {
    scriptTiers({ usage: { promptTokens: 100, completionTokens: 50 }, ...small }, { usage: { promptTokens: 100, completionTokens: 20 }, ...(mid ?? { text: 'Canberra.' }) });
    const { data, response } = await client.chat.completions.create({ model: 'cascade', messages: question, ...extra } as OpenAI.ChatCompletionCreateParamsNonStreaming).withResponse();
    expect(response.headers.get('x-frugal-tier')).toBe('2');
    expect(response.headers.get('x-frugal-cascade')).toBe('accepted');
    expect(response.headers.get('x-frugal-model')).toBe('tier-mid');
    expect(response.headers.get('x-frugal-attempts')).toBe('2');
    expect(data.choices[0].message.content ?? JSON.stringify(data.choices[0].message.tool_calls)).toMatch(/Canberra|"a"|42/);
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: any) => [attempt.model, attempt.purpose, attempt.status])).toEqual([
      ['tier-small', 'tier', 'rejected'],
      ['tier-mid', 'answer', 'ok'],
    ]);
    // The rejected tier is paid for: 100 × $0.01/M + 50 × $0.01/M, plus 100 × $0.25/M + 20 × $0.25/M.
    expect(record.attempts[0].costNano).toBe(1500);
    expect(record.costNano).toBe(1500 + 30_000);
    expect(response.headers.get('x-frugal-cost')).toBe('0.0000315');
    expect(record.savingsNano.cascade).toBe(100 * 2500 + 20 * 10_000 - 31_500);
  });

  it('accepts the cheap tier when its answer passes', async () => {
    scriptTiers({ text: 'Canberra is the capital of Australia.' });
    const { response } = await client.chat.completions.create({ model: 'cascade', messages: question }).withResponse();
    expect(response.headers.get('x-frugal-tier')).toBe('1');
    expect(response.headers.get('x-frugal-attempts')).toBe('1');
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('LLM judge and user check module', () => {
  it('escalates on a low judge score and charges the judge call', async () => {
    let judged = 0;
    upstream.setDefault((body) => {
      if (body.model === 'judge-model') return { text: judged++ === 0 ? '3' : '9', usage: { promptTokens: 200, completionTokens: 1 } };
      return body.model === 'tier-small' ? { text: 'Sydney.', usage: { promptTokens: 10, completionTokens: 2 } } : { text: 'Canberra.', usage: { promptTokens: 10, completionTokens: 2 } };
    });
    const { data, response } = await client.chat.completions.create({ model: 'judged', messages: question }).withResponse();
    expect(data.choices[0].message.content).toBe('Canberra.');
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: any) => [attempt.model, attempt.purpose, attempt.status])).toEqual([
      ['tier-small', 'tier', 'rejected'],
      ['judge-model', 'judge', 'ok'],
      ['tier-mid', 'answer', 'ok'],
    ]);
    expect(record.attempts[1].costNano).toBe(201 * 100);
    expect(record.costNano).toBe(12 * 10 + 201 * 100 + 12 * 250);
    // The judge was asked about the cheap tier's answer; the last tier is not judged.
    const judgeCalls = upstream.requestsTo('/v1/chat/completions').filter((request) => request.body.model === 'judge-model');
    expect(judgeCalls).toHaveLength(1);
    expect(JSON.stringify(judgeCalls[0].body.messages)).toContain('Sydney.');

    judged = 1;
    const accepted = await client.chat.completions.create({ model: 'judged', messages: question }).withResponse();
    expect(accepted.data.choices[0].message.content).toBe('Sydney.');
    expect(accepted.response.headers.get('x-frugal-tier')).toBe('1');
  });

  it('runs the user check module and escalates when it fails', async () => {
    scriptTiers({ text: 'A bad answer.' }, { text: 'A fine answer.' });
    const rejected = await client.chat.completions.create({ model: 'checked', messages: question }).withResponse();
    expect(rejected.data.choices[0].message.content).toBe('A fine answer.');
    expect(rejected.response.headers.get('x-frugal-tier')).toBe('2');
    scriptTiers({ text: 'A decent answer.' });
    const accepted = await client.chat.completions.create({ model: 'checked', messages: question }).withResponse();
    expect(accepted.response.headers.get('x-frugal-tier')).toBe('1');
  });
});

describe('instruction check', () => {
  const limited = [{ role: 'user' as const, content: 'In fewer than 12 words: why is the sky blue?' }];
  const rambling = 'Sunlight scatters off air molecules, and blue light, having a shorter wavelength, scatters much more than red light does.';

  it('escalates when the cheap tier ignores an explicit instruction of the prompt, and charges the rejected tier', async () => {
    scriptTiers({ text: rambling }, { text: 'Air scatters blue light more than red.' });
    const { data, response } = await client.chat.completions.create({ model: 'instructed', messages: limited }).withResponse();
    expect(data.choices[0].message.content).toBe('Air scatters blue light more than red.');
    expect(response.headers.get('x-frugal-tier')).toBe('2');
    const record = await ledgerRecord(response.headers.get('x-frugal-request-id')!);
    expect(record.attempts.map((attempt: any) => [attempt.model, attempt.purpose, attempt.status])).toEqual([
      ['tier-small', 'tier', 'rejected'],
      ['tier-mid', 'answer', 'ok'],
    ]);
    // The same answer passes on a route without the check.
    const unchecked = await client.chat.completions.create({ model: 'two-tier', messages: limited }).withResponse();
    expect(unchecked.data.choices[0].message.content).toBe(rambling);
    expect(unchecked.response.headers.get('x-frugal-tier')).toBe('1');
  });

  it('serves the cheap tier when it follows the instructions', async () => {
    scriptTiers({ text: 'Air scatters short blue wavelengths the most.' });
    const { response } = await client.chat.completions.create({ model: 'instructed', messages: limited }).withResponse();
    expect(response.headers.get('x-frugal-tier')).toBe('1');
    expect(upstream.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('cost cap through a cascade', () => {
  it('serves the best answer so far when the next tier cannot fit, and never exceeds the cap', async () => {
    scriptTiers({ text: 'Canberra, probably', finishReason: 'length', usage: { promptTokens: 20, completionTokens: 100 } });
    const { data, response } = await client.chat.completions
      .create({ model: 'two-tier', messages: question, max_tokens: 100 }, { headers: { 'x-frugal-max-cost': '0.0001' } })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Canberra, probably');
    expect(response.headers.get('x-frugal-tier')).toBe('1');
    // Not an acceptance: the cap left no room for tier 2, so tier 1's rejected answer is the best there is.
    expect(response.headers.get('x-frugal-cascade')).toBe('cost-cap');
    expect(upstream.requestsTo('/v1/chat/completions').map((request) => request.body.model)).toEqual(['tier-small']);
    expect(Number(response.headers.get('x-frugal-cost'))).toBeLessThanOrEqual(0.0001);
  });

  it('sends max_tokens upstream under a cap when the client set none, so the worst case is a real bound', async () => {
    scriptTiers({ text: 'Canberra.' });
    await client.chat.completions.create({ model: 'cascade', messages: question }, { headers: { 'x-frugal-max-cost': '1' } });
    expect(upstream.requestsTo('/v1/chat/completions')[0].body.max_tokens).toBe(4096);
  });
});

describe('streaming through a cascade', () => {
  it('buffers the tiers and streams the accepted answer as well-formed chunks with usage', async () => {
    scriptTiers({ text: '' }, { text: 'Canberra has been the capital of Australia since 1913, chosen as a compromise between Sydney and Melbourne.', usage: { promptTokens: 30, completionTokens: 25 } });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'cascade', messages: question, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(response.headers.get('x-frugal-route')).toBe('cascade');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');
    expect(text).toBe('Canberra has been the capital of Australia since 1913, chosen as a compromise between Sydney and Melbourne.');
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 25 });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    // Both tiers were asked without streaming: the cheap one's empty answer never reached the client.
    expect(upstream.requestsTo('/v1/chat/completions').map((request) => request.body.stream ?? false)).toEqual([false, false]);
  });
});

describe('shadow evaluation', () => {
  it('writes an outcomes line and an evaluation ledger record without changing the client\'s answer', async () => {
    upstream.setDefault((body) => {
      if (body.model === 'tier-small') return { text: 'Canberra.', usage: { promptTokens: 10, completionTokens: 2 } };
      if (body.model === 'base') return { text: 'The baseline answer: Canberra.', latencyMs: 50, usage: { promptTokens: 10, completionTokens: 6 } };
      if (body.model === 'judge-model') {
        // Score the baseline 9 and the served answer 6, wherever the shuffle put them.
        const prompt = JSON.stringify(body.messages);
        const baselineIsA = prompt.indexOf('The baseline answer') < prompt.indexOf('[Answer B]');
        return { text: baselineIsA ? 'A: 9, B: 6' : 'A: 6, B: 9', usage: { promptTokens: 300, completionTokens: 8 } };
      }
      return undefined;
    });
    const { data, response } = await client.chat.completions.create({ model: 'shadowed', messages: question }).withResponse();
    expect(data.choices[0].message.content).toBe('Canberra.');
    expect(response.headers.get('x-frugal-cost')).toBe('0.00000012');
    const file = join(frugal.dataDir, 'outcomes', 'shadow.jsonl');
    const line = await eventually(() => {
      expect(existsSync(file)).toBe(true);
      return JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!);
    });
    expect(line.prompt).toEqual(question);
    expect(line.outcomes['tier-small']).toMatchObject({ score: 6, response: 'Canberra.' });
    expect(line.outcomes.base).toMatchObject({ score: 9, response: 'The baseline answer: Canberra.' });
    const id = response.headers.get('x-frugal-request-id')!;
    const shadowRecord = await ledgerRecord(`${id}.shadow`);
    expect(shadowRecord.attempts.map((attempt: any) => attempt.purpose)).toEqual(['shadow', 'judge']);
    const evaluationCost = 10 * 2500 + 6 * 10_000 + 308 * 100;
    expect(shadowRecord.costNano).toBe(evaluationCost);
    expect(shadowRecord.savingsNano).toEqual({ evaluation: -evaluationCost });
    const clientRecord = await ledgerRecord(id);
    expect(clientRecord.attempts).toHaveLength(1);
    // Real models and a real judge: nothing marks the line as simulated.
    expect(line.simulated).toBeUndefined();
  });

  it('writes no outcome for a judge reply it cannot read, and warns once per route with the start of the reply', async () => {
    const rambling = `Both answers are fine. ${'The first one is a little more direct, and the second one adds context that some readers may like. '.repeat(4)}`;
    upstream.setDefault((body) => {
      if (body.model === 'tier-small') return { text: 'Canberra.', usage: { promptTokens: 10, completionTokens: 2 } };
      if (body.model === 'base') return { text: 'The baseline answer: Canberra.', usage: { promptTokens: 10, completionTokens: 6 } };
      if (body.model === 'judge-model') return { text: rambling, usage: { promptTokens: 300, completionTokens: 80 } };
      return undefined;
    });
    const file = join(frugal.dataDir, 'outcomes', 'shadow.jsonl');
    const linesBefore = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0;
    const warnings = () => frugal.logs.map((text) => JSON.parse(text)).filter((entry) => entry.level === 40 && entry.route === 'shadowed');
    expect(warnings()).toHaveLength(0);
    for (const content of ['What is the capital of Australia?', 'And of New Zealand?']) {
      const { response } = await client.chat.completions.create({ model: 'shadowed', messages: [{ role: 'user', content }] }).withResponse();
      const shadowRecord = await ledgerRecord(`${response.headers.get('x-frugal-request-id')}.shadow`);
      expect(shadowRecord.trace[0].detail).toMatch(/^judge judge-model gave no scores in the form "A: n, B: n": "Both answers are fine\./);
    }
    const [warning, ...more] = warnings();
    expect(more).toHaveLength(0);
    expect(warning.msg).toMatch(/shadow evaluation of route 'shadowed' wrote no outcome: the judge judge-model's reply could not be parsed as "A: <score>, B: <score>"/);
    expect(warning.reply).toMatch(/^Both answers are fine\. The first one/);
    expect(warning.reply.length).toBeLessThanOrEqual(200);
    expect(warning.reply.endsWith('…')).toBe(true);
    expect(existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0).toBe(linesBefore);
  });
});
