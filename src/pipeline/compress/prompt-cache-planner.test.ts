import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { countCacheBreakpoints, createAnthropicCachePlanner, orderStableFirst, planAnthropicCache } from './prompt-cache-planner.ts';

type Body = Record<string, unknown>;
/** About `count` tokens of filler (each word is one token). */
const words = (count: number, word = 'policy'): string =>
  Array.from({ length: count }, (_, index) => [word, 'and', 'the', 'rules', 'apply', 'here', 'too'][index % 7]).join(' ');
const tool = (name: string, size: number) => ({ name, description: words(size, 'describes'), input_schema: { type: 'object', properties: {} } });

function sonnetBody(): Body {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 512,
    tools: [tool('search', 700), tool('fetch', 700)],
    system: words(1500),
    messages: [
      { role: 'user', content: [{ type: 'text', text: words(3000, 'contract') }, { type: 'text', text: 'Summarize clause 4.' }] },
      { role: 'assistant', content: 'Clause 4 covers payment.' },
      { role: 'user', content: 'And clause 5?' },
    ],
  };
}

describe('planAnthropicCache', () => {
  it('marks the last tool, the system prompt and a long early document, and says so', () => {
    const body = sonnetBody();
    const before = structuredClone(body);
    const plan = planAnthropicCache(body);
    expect(plan.placed).toBe(3);
    expect(plan.existing).toBe(0);
    expect(plan.locations).toEqual(['tools', 'system', 'messages[0].content[0]']);
    expect(countCacheBreakpoints(plan.body)).toBe(3);
    const tools = plan.body.tools as Body[];
    expect(tools[1].cache_control).toEqual({ type: 'ephemeral' });
    expect(tools[0].cache_control).toBeUndefined();
    expect(plan.body.system).toEqual([{ type: 'text', text: before.system, cache_control: { type: 'ephemeral' } }]);
    expect(body).toEqual(before);
  });

  it('places nothing where the prefix is under the provider minimum', () => {
    const small: Body = { model: 'claude-sonnet-4-5', system: words(200), messages: [{ role: 'user', content: 'Hi' }] };
    expect(planAnthropicCache(small)).toMatchObject({ placed: 0, body: small });
    // Haiku-class models need 2048 tokens: a ~1,500-token prefix is enough for Sonnet only.
    const medium: Body = { system: words(1500), messages: [{ role: 'user', content: 'Hi' }] };
    expect(planAnthropicCache({ ...medium, model: 'claude-sonnet-4-5' }).placed).toBe(1);
    expect(planAnthropicCache({ ...medium, model: 'claude-3-5-haiku-latest' }).placed).toBe(0);
    expect(planAnthropicCache({ ...medium, model: 'claude-3-5-haiku-latest' }, { minTokens: 1024 }).placed).toBe(1);
  });

  it('counts the client’s own breakpoints against the four and never marks a block twice', () => {
    const body = sonnetBody();
    const messages = body.messages as Body[];
    messages[0] = { role: 'user', content: [{ type: 'text', text: words(3000, 'contract'), cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Q' }] };
    body.system = [{ type: 'text', text: words(1500), cache_control: { type: 'ephemeral' } }];
    const plan = planAnthropicCache(body, { cacheConversation: true });
    expect(plan.existing).toBe(2);
    expect(plan.placed).toBe(2);
    expect(plan.locations).toEqual(['tools', 'messages[1].content[0]']);
    expect(countCacheBreakpoints(plan.body)).toBe(4);
  });

  it('never exceeds four breakpoints', () => {
    const body: Body = {
      model: 'claude-opus-4-1',
      tools: [tool('a', 1500)],
      system: words(1500),
      messages: [1, 2, 3, 4].flatMap((turn) => [
        { role: 'user', content: [{ type: 'text', text: words(1000, `doc${turn}`) }] },
        { role: 'assistant', content: 'ok' },
      ]).concat([{ role: 'user', content: [{ type: 'text', text: 'Compare them.' }] }]),
    };
    const plan = planAnthropicCache(body, { cacheConversation: true });
    expect(plan.placed).toBe(4);
    expect(countCacheBreakpoints(plan.body)).toBe(4);
    const full = planAnthropicCache(plan.body);
    expect(full).toMatchObject({ placed: 0, existing: 4 });
  });

  it('does not put a 5-minute mark before a client’s 1-hour mark', () => {
    const body = sonnetBody();
    (body.messages as Body[])[0] = { role: 'user', content: [{ type: 'text', text: words(3000, 'contract'), cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'Q' }] };
    const plan = planAnthropicCache(body, { cacheConversation: true });
    expect(plan.locations).toEqual(['messages[1].content[0]']);
  });

  it('plugs into the Anthropic adapter as a body transform and reports each plan', () => {
    const plans: number[] = [];
    const planner = createAnthropicCachePlanner({ onPlan: (plan) => plans.push(plan.placed) });
    const body = planner(sonnetBody());
    expect(countCacheBreakpoints(body)).toBe(3);
    expect(plans).toEqual([3]);
  });
});

describe('orderStableFirst', () => {
  const request: ChatRequest = {
    model: 'gpt-4o',
    tools: [
      { type: 'function', function: { name: 'zeta', description: words(300) } },
      { type: 'function', function: { name: 'alpha', description: words(300) } },
    ],
    messages: [
      { role: 'system', content: words(800) },
      { role: 'user', content: 'Hello' },
      { role: 'system', content: 'Late instruction stays where it is.' },
    ],
  };

  it('moves nothing by default and measures the stable prefix', () => {
    const result = orderStableFirst(request);
    expect(result.request).toBe(request);
    expect(result.changes).toEqual([]);
    expect(result.cacheable).toBe(true);
  });

  it('sorts tools and sets a prompt cache key only when asked, keeping message order', () => {
    const result = orderStableFirst(request, { sortTools: true, promptCacheKey: true });
    expect(result.request.tools?.map((entry) => entry.function.name)).toEqual(['alpha', 'zeta']);
    expect(result.request.messages).toBe(request.messages);
    const key = (result.request as { prompt_cache_key?: string }).prompt_cache_key;
    expect(key).toMatch(/^frugal-[0-9a-f]{32}$/);
    const differentQuestion = orderStableFirst({ ...request, messages: [...request.messages.slice(0, 1), { role: 'user', content: 'Other' }] }, { promptCacheKey: true, sortTools: true });
    expect((differentQuestion.request as { prompt_cache_key?: string }).prompt_cache_key).toBe(key);
    const own = orderStableFirst({ ...request, prompt_cache_key: 'mine' } as ChatRequest, { promptCacheKey: true });
    expect((own.request as { prompt_cache_key?: string }).prompt_cache_key).toBe('mine');
  });
});
