import { describe, expect, it } from 'vitest';
import { completionsRequestSchema } from './completions-schema.ts';
import { completionsRequestToChat } from './completions-request-to-chat.ts';
import { chatChunkToCompletion, chatResponseToCompletion } from './chat-to-completion.ts';
import { chatRequestToCompletions } from './native-completions.ts';
import { validateConfig } from '../../config/load-config.ts';

const parse = (body: Record<string, unknown>) => completionsRequestSchema.parse(body);

describe('completions ⇄ the internal chat form', () => {
  it('turns a prompt into one user message with max_tokens 16 and lists what only a native upstream can honour', () => {
    const translated = completionsRequestToChat(parse({ model: 'm', prompt: ['hi'], echo: true, logprobs: 0, suffix: '', best_of: 2, n: 2, max_tokens: null }));
    expect(translated.chatRequest).toEqual({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, n: 2 });
    // suffix '' and best_of == n ask for nothing a chat upstream lacks.
    expect(translated.needsNative).toEqual(['echo', 'logprobs']);
    expect(translated.completionsOnly).toEqual({ echo: true, logprobs: 0 });
  });

  it('builds the native body from the chat request the pipeline hands over, and declines other shapes', () => {
    const { chatRequest, completionsOnly } = completionsRequestToChat(parse({ model: 'm', prompt: 'p', suffix: 's', temperature: 0 }));
    expect(chatRequestToCompletions({ ...chatRequest, model: 'upstream-id' }, completionsOnly)).toEqual({ model: 'upstream-id', prompt: 'p', max_tokens: 16, temperature: 0, suffix: 's' });
    const judged = { ...chatRequest, messages: [{ role: 'system' as const, content: 'grade' }, { role: 'user' as const, content: 'p' }] };
    expect(chatRequestToCompletions(judged, completionsOnly)).toBeUndefined();
  });

  it('answers as text_completion: cmpl- ids, completions finish reasons, completions-shaped logprobs only', () => {
    const completion = chatResponseToCompletion({
      id: 'chatcmpl-abc',
      created: 5,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: null }, finish_reason: 'tool_calls', logprobs: { content: [] } },
        { index: 1, message: { role: 'assistant', content: 'x' }, finish_reason: 'length', logprobs: { tokens: ['x'], token_logprobs: [-1] } },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(completion).toEqual({
      id: 'cmpl-abc',
      object: 'text_completion',
      created: 5,
      model: 'm',
      choices: [
        { text: '', index: 0, logprobs: null, finish_reason: 'stop' },
        { text: 'x', index: 1, logprobs: { tokens: ['x'], token_logprobs: [-1] }, finish_reason: 'length' },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
  });

  it('drops the role-only opening chunk and keeps the usage chunk', () => {
    expect(chatChunkToCompletion({ id: 'chatcmpl-1', model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })).toBeUndefined();
    expect(chatChunkToCompletion({ id: 'chatcmpl-1', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } })).toEqual({
      id: 'cmpl-1', object: 'text_completion', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 },
    });
  });

  it('refuses completions_api on a provider that cannot serve /v1/completions', () => {
    expect(() => validateConfig({ providers: { claude: { type: 'anthropic', api_key: 'k', completions_api: true } } }, 'test')).toThrow(/completions_api/);
    expect(() => validateConfig({ providers: { vllm: { type: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', completions_api: true } } }, 'test')).not.toThrow();
  });
});
