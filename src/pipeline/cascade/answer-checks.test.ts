import { describe, expect, it } from 'vitest';
import { checksSchema } from '../route/route-config.ts';
import { checkAnswer, logprobConfidence, looksLikeRefusal } from './answer-checks.ts';
import { parseGrade, parsePairwise } from './judge.ts';

const checks = checksSchema.parse({});
const answer = (content: string, extra: Record<string, unknown> = {}) => ({
  id: 'r',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', ...extra }],
});

describe('answer checks', () => {
  it('spots refusals at the start of an answer but not a hedge inside a real answer', () => {
    expect(looksLikeRefusal("I'm sorry, but I can't help with that request.")).toBe(true);
    expect(looksLikeRefusal('I cannot assist with that.')).toBe(true);
    expect(looksLikeRefusal("I don't know.")).toBe(true);
    expect(looksLikeRefusal("Canberra. I don't know the exact founding date, but it was chosen in 1908.")).toBe(false);
    expect(looksLikeRefusal('I can help with that: here is the query.')).toBe(false);
  });

  it('passes a plain answer with score 1 and scores by logprobs when present', () => {
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
    expect(checkAnswer(request, answer('Hello!'), checks)).toEqual({ pass: true, score: 1, reasons: [] });
    const confident = answer('Hello!', { logprobs: { content: [{ token: 'Hello', logprob: -0.01 }, { token: '!', logprob: -0.03 }] } });
    expect(checkAnswer(request, confident, checks).score).toBeCloseTo(Math.exp(-0.02));
    expect(logprobConfidence(null)).toBeUndefined();
  });

  it('lets a route switch a check off', () => {
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
    expect(checkAnswer(request, answer('part', { finish_reason: 'length' }), checks).pass).toBe(false);
    expect(checkAnswer(request, answer('part', { finish_reason: 'length' }), checksSchema.parse({ truncated: false })).pass).toBe(true);
  });
});

describe('judge replies', () => {
  it('reads a 1–10 grade onto 0..1 and pairwise scores in either order', () => {
    expect(parseGrade('9')).toBeCloseTo(8 / 9);
    expect(parseGrade('Score: 10')).toBe(1);
    expect(parseGrade('no idea')).toBeUndefined();
    expect(parseGrade('**8**')).toBeCloseTo(7 / 9);
    expect(parseGrade('7/10 — mostly right')).toBeCloseTo(6 / 9);
    expect(parseGrade('I would rate this answer 8.')).toBeCloseTo(7 / 9);
    expect(parseGrade('Score (1-10): 6')).toBeCloseTo(5 / 9);
    expect(parseGrade('Clear and correct: 9 out of 10')).toBeCloseTo(8 / 9);
  });

  it('reads no grade from prose that merely contains digits (a model name, a number in the question)', () => {
    expect(parseGrade('[simulated qwen3-8b] This is a deterministic simulated answer (no real model was called) to: "How do I reset my password in 3 steps?". Reference 02271d21.')).toBeUndefined();
    expect(parseGrade('The answer covers gpt-4o pricing well')).toBeUndefined();
    expect(parsePairwise('A: 6, B: 9')).toEqual({ a: 6, b: 9 });
    expect(parsePairwise('B=3\nA=10')).toEqual({ a: 10, b: 3 });
    expect(parsePairwise('both fine')).toBeUndefined();
  });
});
