import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lastAnswerNumber, packMessages, parseNumberedAnswers, readPackedRequest } from './numbered-prompts.ts';
import { apportion } from './apportion.ts';

describe('numbered answers', () => {
  it('reads multi-line answers back by number, in any order', () => {
    expect(parseNumberedAnswers('[2] no\n[1] yes,\nreally\n[3] maybe', 3)).toEqual(['yes,\nreally', 'no', 'maybe']);
  });

  it('gives undefined for a missing, repeated, empty or out-of-range number', () => {
    expect(parseNumberedAnswers('[1] a\n[3] c\n[3] again\n[4] d\n[2]', 3)).toEqual(['a', undefined, undefined]);
    expect(parseNumberedAnswers('I cannot do that.', 2)).toEqual([undefined, undefined]);
  });

  it('names the answer that ends the text (the one a cut-off pack may have cut)', () => {
    expect(lastAnswerNumber('[2] no\n[1] yes, but the battery', 3)).toBe(1);
    expect(lastAnswerNumber('[1] a\n[2] b\n[9] beyond the pack', 3)).toBe(2);
    expect(lastAnswerNumber('I cannot do that.', 3)).toBeUndefined();
  });

  it('packs the questions under the shared system prompt', () => {
    const [system, user] = packMessages('Classify.', ['one', 'two']);
    expect(system.content).toMatch(/^Classify\.\n\n.*numbered \[1\] to \[2\]/s);
    expect(user.content).toBe('[1] one\n\n[2] two');
  });

  it('round-trips any answers without brackets at line starts', () => {
    const answer = fc.string({ minLength: 1 }).filter((text) => text.trim() !== '' && !/^\s*(\*\*)?\[\d+\]/m.test(text));
    fc.assert(fc.property(fc.array(answer, { minLength: 1, maxLength: 8 }), (answers) => {
      const text = answers.map((entry, index) => `[${index + 1}] ${entry}`).join('\n');
      expect(parseNumberedAnswers(text, answers.length)).toEqual(answers.map((entry) => entry.trim()));
    }));
  });
});

describe('apportion', () => {
  it('splits an integer exactly, in proportion', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(7, [0, 0])).toEqual([4, 3]);
    fc.assert(fc.property(fc.nat(1_000_000), fc.array(fc.nat(1_000), { minLength: 1, maxLength: 20 }), (total, weights) => {
      const parts = apportion(total, weights);
      expect(parts.reduce((sum, part) => sum + part, 0)).toBe(total);
      expect(parts.every((part) => part >= 0)).toBe(true);
    }));
  });

  it('recognises a packed request and gives back its system prompt and questions', () => {
    const question = fc.string({ minLength: 1 }).filter((text) => !/\n\n\[\d+\] /.test(text));
    fc.assert(fc.property(fc.option(fc.string({ minLength: 1 }), { nil: undefined }), fc.array(question, { minLength: 1, maxLength: 8 }), (system, questions) => {
      const packed = readPackedRequest({ model: 'm', messages: packMessages(system, questions) });
      expect(packed).toEqual({ system, questions });
    }));
  });

  it('does not take an ordinary request for a pack', () => {
    const [system, user] = packMessages('Classify.', ['one', 'two']);
    expect(readPackedRequest({ model: 'm', messages: [{ role: 'user', content: 'What is [1] + [2]?' }] })).toBeUndefined();
    expect(readPackedRequest({ model: 'm', messages: [{ role: 'system', content: 'Classify.' }, user] })).toBeUndefined();
    expect(readPackedRequest({ model: 'm', messages: [system, { role: 'user', content: '[1] one' }] })).toBeUndefined();
    expect(readPackedRequest({ model: 'm', messages: [system, user, { role: 'assistant', content: 'x' }] })).toBeUndefined();
  });
});
