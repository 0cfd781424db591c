import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageText, type ChatMessage } from '../../protocol/openai/chat-schema.ts';
import { compressChatMessages, compressText } from './extractive-compressor.ts';

// Hand-written fixtures: an invented product's manual, so nothing is borrowed from benchmark data.
const filler = [
  'The lighthouse keeper logged the weather every morning before breakfast.',
  'Orchards along the river produce pears, plums and a little cider.',
  'The museum reopened its east wing after the roof was repaired.',
  'Volunteers repainted the footbridge in a pale green colour.',
  'A ferry crosses the bay twice a day during the summer season.',
  'The bakery on the square sells rye bread and almond pastries.',
  'Local choirs rehearse in the old chapel on Thursday evenings.',
  'The railway line was extended to the coast in the last century.',
];
const longFiller = (paragraphs: number): string =>
  Array.from({ length: paragraphs }, (_, index) => `${filler[index % filler.length]} Paragraph ${index + 100} notes nothing else of interest today.`).join('\n\n');

describe('compressText', () => {
  it('keeps the sentence that answers the question and drops unrelated ones', () => {
    const context = `${longFiller(12)}\n\nThe Zephyr router listens on port 7443 by default. ${filler[1]}\n\n${longFiller(12)}`;
    const result = compressText(context, 'Which port does the Zephyr router listen on?', { targetRatio: 5 });
    expect(result.text).toContain('The Zephyr router listens on port 7443 by default.');
    expect(result.after).toBeLessThan(result.before / 3);
    expect(result.changed).toBe(true);
  });

  it('keeps chunks holding the question’s numbers and named entities even past the budget', () => {
    const context = [
      longFiller(10),
      'Invoice 58213 was paid late.',
      longFiller(10),
      'Margarethe Okonkwo signed the lease.',
      longFiller(10),
    ].join('\n\n');
    const result = compressText(context, 'Was invoice 58213 handled by Margarethe Okonkwo?', { maxContextTokens: 5 });
    expect(result.text).toContain('Invoice 58213 was paid late.');
    expect(result.text).toContain('Margarethe Okonkwo signed the lease.');
  });

  it('removes repeated sentences and paragraphs, keeping the first', () => {
    const repeated = 'Refunds are processed within fourteen business days of the request.';
    const context = `${repeated}\n\n${filler[0]}\n\n${repeated}\n\n${filler[2]}\n\n${repeated}`;
    const result = compressText(context, 'How long do refunds take?', { targetRatio: 1 });
    expect(result.text.split(repeated).length - 1).toBe(1);
    expect(result.stats?.duplicatesRemoved).toBe(2);
  });

  it('keeps the original order of what it keeps', () => {
    const context = 'Alpha facts: the alpha valve is red.\n\nBeta facts: the beta valve is blue.\n\n' + longFiller(20);
    const result = compressText(context, 'What colour are the beta valve and the alpha valve?', { targetRatio: 4 });
    expect(result.text.indexOf('alpha valve')).toBeGreaterThanOrEqual(0);
    expect(result.text.indexOf('alpha valve')).toBeLessThan(result.text.indexOf('beta valve'));
  });

  it('leaves text under min_tokens untouched', () => {
    const context = `${filler[0]}\n\n${filler[0]}`;
    const result = compressText(context, 'anything', { targetRatio: 10, minTokens: 1000 });
    expect(result).toMatchObject({ text: context, changed: false });
  });

  const codeBlock = '```ts\nexport function retryDelay(attempt: number): number {\n\n  return Math.min(30_000, 2 ** attempt * 100);\n}\n```';
  const jsonBlock = '{\n  "retry": { "maxAttempts": 5, "backoff": "exponential" },\n\n  "timeoutMs": 30000\n}';

  it('keeps code and JSON blocks whole or drops them whole, whatever the budget', () => {
    const parts = fc.array(fc.constantFrom('code', 'json', ...filler), { minLength: 3, maxLength: 25 });
    fc.assert(
      fc.property(parts, fc.integer({ min: 1, max: 20 }), (chosen, ratio) => {
        const context = chosen.map((part) => (part === 'code' ? codeBlock : part === 'json' ? jsonBlock : part)).join('\n\n');
        const { text } = compressText(context, 'How are retries delayed and when do they time out?', { targetRatio: ratio });
        for (const block of [codeBlock, jsonBlock]) {
          const starts = text.split(block.slice(0, 12)).length - 1;
          const whole = text.split(block).length - 1;
          expect(starts).toBe(whole);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('compressChatMessages', () => {
  const roleArbitrary = fc.constantFrom<ChatMessage['role']>('system', 'user', 'assistant', 'tool', 'developer');
  const textArbitrary = fc
    .tuple(
      fc.array(fc.oneof(fc.constantFrom(...filler), fc.lorem({ maxCount: 30 }), fc.string()), { minLength: 1, maxLength: 12 }),
      fc.constantFrom(' ', '\n', '\n\n'),
    )
    .map(([pieces, separator]) => pieces.join(separator));

  it('never drops or changes the final user question, whatever the context and settings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ role: roleArbitrary, content: textArbitrary }), { maxLength: 8 }),
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.array(fc.constantFrom<'system' | 'developer' | 'tool' | 'assistant'>('system', 'developer', 'tool', 'assistant'), { minLength: 1 }),
        fc.integer({ min: 1, max: 50 }),
        (history, question, roles, ratio) => {
          const messages: ChatMessage[] = [...history, { role: 'user', content: question }];
          const result = compressChatMessages(messages, { roles, targetRatio: ratio, minTokens: 0 });
          expect(result.messages).toHaveLength(messages.length);
          expect(result.messages.at(-1)).toEqual({ role: 'user', content: question });
          // The user's own earlier words are not compressible unless listed.
          messages.forEach((message, index) => {
            if (message.role === 'user') expect(result.messages[index].content).toBe(message.content);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the question at either end of a final user message that holds a pasted document', () => {
    const question = 'Answer from the manual below: which port does the Zephyr router use?';
    const closing = 'Reply in one sentence.';
    const document = `${longFiller(15)}\n\nThe Zephyr router listens on port 7443.\n\n${longFiller(15)}`;
    const messages: ChatMessage[] = [{ role: 'user', content: `${question}\n\n${document}\n\n${closing}` }];
    const result = compressChatMessages(messages, { roles: ['user'], targetRatio: 5, minTokens: 0 });
    const text = messageText(result.messages[0].content);
    expect(text.startsWith(question)).toBe(true);
    expect(text.endsWith(closing)).toBe(true);
    expect(text).toContain('port 7443');
    expect(result.after).toBeLessThan(result.before / 2);
  });

  it('compresses tool results and system text but not roles left out', () => {
    const toolOutput = `${longFiller(20)}\n\nThe build failed because the disk quota of 50 GB was exceeded.\n\n${longFiller(20)}`;
    const messages: ChatMessage[] = [
      { role: 'system', content: longFiller(30) },
      { role: 'user', content: 'Run the build.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'build', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: toolOutput },
      { role: 'user', content: 'Why did the build fail?' },
    ];
    const result = compressChatMessages(messages, { roles: ['tool'], targetRatio: 4, minTokens: 0 });
    expect(result.messages[0].content).toBe(messages[0].content);
    expect(result.messages[3].content).toContain('disk quota of 50 GB was exceeded');
    expect((result.messages[3].content as string).length).toBeLessThan(toolOutput.length / 2);
    expect(result.messages[3].tool_call_id).toBe('call_1');
    expect(result.messages[2].tool_calls).toEqual(messages[2].tool_calls);
  });

  it('does not mutate the messages it was given', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: [{ type: 'text', text: longFiller(30) }] },
      { role: 'user', content: 'Tell me about the ferry.' },
    ];
    const copy = structuredClone(messages);
    const result = compressChatMessages(messages, { targetRatio: 5, minTokens: 0 });
    expect(messages).toEqual(copy);
    expect(messageText(result.messages[0].content)).toContain('ferry');
    expect(result.changed).toBe(true);
  });
});
