import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { countTextTokens } from '../../tokens/count-tokens.ts';
import { gradeRequest, pairwiseRequest, parseGrade, parsePairwise } from '../../pipeline/cascade/judge.ts';
import { SimulatedAdapter, simulatedGrade } from './simulated-adapter.ts';
import { packMessages, parseNumberedAnswers } from '../../batch/micro-batch/numbered-prompts.ts';

const adapter = new SimulatedAdapter({ name: 'sim', latencyMs: 0, chunkDelayMs: 0, failureRate: 0 });
const options = { signal: new AbortController().signal, timeoutMs: 1_000 };
const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('simulated provider', () => {
  it('stops an answer at max_tokens with finish_reason "length", and bills exactly the tokens it sent', async () => {
    const { response } = await adapter.chat(ask('a long question', { max_tokens: 5, n: 2 }), options);
    let sent = 0;
    for (const choice of response.choices) {
      expect(choice.finish_reason).toBe('length');
      const tokens = countTextTokens(choice.message.content!);
      expect(tokens).toBeGreaterThan(0);
      expect(tokens).toBeLessThanOrEqual(5);
      sent += tokens;
    }
    expect(response.usage?.completion_tokens).toBe(sent);
    const whole = await adapter.chat(ask('a long question'), options);
    expect(whole.response.choices[0].finish_reason).toBe('stop');
    expect(whole.response.choices[0].message.content!.startsWith(response.choices[0].message.content!)).toBe(true);
  });

  it('cuts at max_tokens between characters, never inside one', async () => {
    const question = '日本語 🎉🎉 émoji';
    const whole = (await adapter.chat(ask(question), options)).response.choices[0].message.content!;
    for (let limit = 1; limit <= 40; limit++) {
      const cut = (await adapter.chat(ask(question, { max_tokens: limit }), options)).response.choices[0].message.content!;
      expect(cut).not.toContain('\uFFFD');
      expect(whole.startsWith(cut)).toBe(true);
    }
  });

  it('answers logprobs: true with one entry per token and top_logprobs alternatives, streamed token by token', async () => {
    const request = ask('Traduire: 日本語 🎉 ok', { logprobs: true, top_logprobs: 2 });
    const { response } = await adapter.chat(request, options);
    const choice = response.choices[0];
    const entries = (choice.logprobs as { content: { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }[] }).content;
    expect(entries).toHaveLength(response.usage!.completion_tokens);
    for (const entry of entries) {
      expect(entry.logprob).toBeLessThan(0);
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0]).toMatchObject({ token: entry.token, logprob: entry.logprob });
    }
    const chunks = await collect(await adapter.stream(request, options));
    const streamedEntries = chunks.flatMap((chunk) => (chunk.choices[0]?.logprobs as { content: unknown[] } | undefined)?.content ?? []);
    expect(streamedEntries).toEqual(entries);
    // A character split across two tokens (the emoji) arrives whole: the streamed text is the answer.
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(choice.message.content);
  });

  it('gives no logprobs when they were not asked for', async () => {
    const { response } = await adapter.chat(ask('plain'), options);
    expect(response.choices[0].logprobs).toBeUndefined();
  });

  it('answers a cascade judge with a grade the judge parser reads: low for empty answers and refusals, deterministic', async () => {
    const conversation = { messages: [{ role: 'user' as const, content: 'How do I reset my password?' }] };
    const grade = async (answer: string) => {
      const { response } = await adapter.chat({ ...gradeRequest(conversation, answer, 16), model: 'qwen3-8b' }, options);
      const reply = response.choices[0].message.content!;
      expect(reply).toContain('simulated');
      expect(response.choices[0].finish_reason).toBe('stop');
      return parseGrade(reply);
    };
    const ordinary = 'Open Settings → Security → Reset password and follow the emailed link.';
    expect(await grade(ordinary)).toBe((simulatedGrade('qwen3-8b', ordinary) - 1) / 9);
    expect(await grade(ordinary)).toBe(await grade(ordinary));
    expect(await grade('')).toBe(0);
    expect(await grade("I'm sorry, but I can't help with that.")).toBe(1 / 9);
    // Over many answers most are graded 9 or 10, some 6: a cheap tier at threshold 0.8 passes most.
    const grades = Array.from({ length: 400 }, (_unused, index) => simulatedGrade('qwen3-8b', `answer number ${index}`));
    const high = grades.filter((value) => value >= 9).length;
    expect(high).toBeGreaterThan(320);
    expect(high).toBeLessThan(400);
    expect(new Set(grades)).toEqual(new Set([6, 9, 10]));
  });

  it('answers a shadow judge in the "A: n, B: n" form, each answer graded the same in either position', async () => {
    const conversation = { messages: [{ role: 'user' as const, content: 'Where can I download my invoices?' }] };
    const compare = async (a: string, b: string) => {
      const { response } = await adapter.chat({ ...pairwiseRequest(conversation, a, b), model: 'gpt-4o-mini' }, options);
      return parsePairwise(response.choices[0].message.content!);
    };
    const first = await compare('Billing → Invoices → Download.', '');
    expect(first).toEqual({ a: simulatedGrade('gpt-4o-mini', 'Billing → Invoices → Download.'), b: 1 });
    expect(await compare('', 'Billing → Invoices → Download.')).toEqual({ a: 1, b: first!.a });
  });

  it('answers a micro-batch pack with one numbered answer per question, each what the question gets alone', async () => {
    const system = 'You classify support tickets.';
    const questions = ['My invoice is wrong', 'The app crashes\n[2] when I log in', 'How do I reset my password?'];
    const packed = await adapter.chat({ model: 'gpt-4o-mini', messages: packMessages(system, questions) }, options);
    const text = packed.response.choices[0].message.content!;
    expect(text.split('\n')).toHaveLength(3);
    const answers = parseNumberedAnswers(text, questions.length);
    for (const [index, question] of questions.entries()) {
      const alone = await adapter.chat({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: system }, { role: 'user', content: question }] }, options);
      // A line of the question that looks like a number marker is joined to the line before it.
      expect(answers[index]).toBe(alone.response.choices[0].message.content!.replace('\n[2]', ' [2]'));
    }
    // Deterministic: the same pack gets the same text.
    expect((await adapter.chat({ model: 'gpt-4o-mini', messages: packMessages(system, questions) }, options)).response.choices[0].message.content).toBe(text);
  });
});
