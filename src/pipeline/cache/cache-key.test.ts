import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { CacheKeys } from './cache-key.ts';
import { parseCacheDirectives } from './request-directives.ts';

const keys = new CacheKeys('cache:');
const base: ChatRequest = { model: 'gpt-4o', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q' }], temperature: 0, max_tokens: 50 };
const key = (request: ChatRequest, tenant = 't', model = 'gpt-4o') => keys.entry({ tenant, model, request });

describe('CacheKeys.entry', () => {
  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(base), { minLength: Object.keys(base).length }), (order) => {
        const reordered = Object.fromEntries(order.map((field) => [field, base[field as keyof ChatRequest]])) as ChatRequest;
        expect(key(reordered)).toBe(key(base));
      }),
    );
  });

  it('changes with everything that decides the answer', () => {
    const variants: Partial<ChatRequest>[] = [
      { messages: [{ role: 'system', content: 'S2' }, { role: 'user', content: 'Q' }] },
      { messages: [{ role: 'user', content: 'Q' }] },
      { temperature: 0.5 }, { max_tokens: 51 }, { top_p: 0.9 }, { n: 2 }, { stop: ['x'] }, { seed: 1 }, { logprobs: true },
      { tools: [{ type: 'function', function: { name: 'f' } }] }, { tool_choice: 'required' },
      { response_format: { type: 'json_object' } }, { some_new_field: 1 } as Partial<ChatRequest>,
    ];
    const seen = new Set([key(base)]);
    for (const variant of variants) seen.add(key({ ...base, ...variant }));
    seen.add(key(base, 'other-tenant'));
    seen.add(key(base, 't', 'other-model'));
    expect(seen.size).toBe(variants.length + 3);
  });

  it('ignores stream, user and metadata, which do not change the answer', () => {
    expect(key({ ...base, stream: true, stream_options: { include_usage: true }, user: 'u', metadata: { a: 'b' } })).toBe(key(base));
  });

  it('cannot be forged across tenants with separators in names', () => {
    expect(key(base, 'a:b', 'c')).not.toBe(key(base, 'a', 'b:c'));
    expect(key(base, 'a:b', 'c').startsWith('cache:e:c:a%3Ab:')).toBe(true);
  });
});

describe('parseCacheDirectives', () => {
  it('reads no-store and no-cache from either header', () => {
    expect(parseCacheDirectives({})).toEqual({ read: true, write: true });
    expect(parseCacheDirectives({ 'cache-control': 'max-age=0, No-Store' })).toEqual({ read: false, write: false });
    expect(parseCacheDirectives({ 'x-frugal-cache': 'no-cache' })).toEqual({ read: false, write: true });
  });
});
