import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../protocol/openai/chat-schema.ts';
import { contextHash, semanticNamespace, semanticQuestion } from './semantic-namespace.ts';

const base: ChatRequest = {
  model: 'auto',
  messages: [
    { role: 'system', content: 'You are a helpful support agent for Acme.' },
    { role: 'user', content: 'How do I reset my password?' },
  ],
  temperature: 0,
};

describe('contextHash', () => {
  it('ignores the final user question, streaming, user and key order', () => {
    const reordered = JSON.parse(JSON.stringify({ temperature: 0, messages: base.messages, model: 'other' })) as ChatRequest;
    reordered.messages = [base.messages[0], { content: 'how can i reset my password', role: 'user' }];
    expect(contextHash({ ...reordered, stream: true, user: 'u-1' })).toBe(contextHash(base));
  });

  it.each<[string, ChatRequest]>([
    ['a different system prompt', { ...base, messages: [{ role: 'system', content: 'You are a pirate.' }, base.messages[1]] }],
    ['an earlier turn', { ...base, messages: [base.messages[0], { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, base.messages[1]] }],
    ['tools', { ...base, tools: [{ type: 'function', function: { name: 'lookup' } }] }],
    ['sampling parameters', { ...base, temperature: 0.7 }],
    ['max_tokens', { ...base, max_tokens: 10 }],
    ['response_format', { ...base, response_format: { type: 'json_object' } }],
    ['an unknown pass-through field', { ...base, reasoning_effort: 'high' } as ChatRequest],
    ['an image in the final message', { ...base, messages: [base.messages[0], { role: 'user', content: [{ type: 'text', text: 'How do I reset my password?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] }],
  ])('changes with %s', (_, changed) => {
    expect(contextHash(changed)).not.toBe(contextHash(base));
  });
});

describe('semanticQuestion', () => {
  it('is the final user message, and undefined when the conversation does not end with the user', () => {
    expect(semanticQuestion(base)).toBe('How do I reset my password?');
    expect(semanticQuestion({ ...base, messages: [...base.messages, { role: 'assistant', content: 'Sure' }] })).toBeUndefined();
  });
});

describe('semanticNamespace', () => {
  it('separates tenants and models even when names contain the separator', () => {
    const hash = contextHash(base);
    const one = semanticNamespace({ tenant: 'a:b', model: 'c', contextHash: hash });
    const two = semanticNamespace({ tenant: 'a', model: 'b:c', contextHash: hash });
    expect(one).not.toBe(two);
    expect(semanticNamespace({ tenant: 'a', model: 'auto', contextHash: hash })).not.toBe(
      semanticNamespace({ tenant: 'b', model: 'auto', contextHash: hash }),
    );
  });
});
