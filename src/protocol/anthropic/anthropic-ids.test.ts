import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { anthropicMessageId, anthropicToolUseId, openaiToolCallId } from './anthropic-ids.ts';

describe('Anthropic ids for translated answers', () => {
  it('gives messages a msg_ id derived from the upstream id', () => {
    expect(anthropicMessageId('chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG')).toBe('msg_chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG');
    expect(anthropicMessageId('msg_01XFDUDYJgAACzvnptvVoYEL')).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(anthropicMessageId(undefined)).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('gives tool calls toolu_ ids that carry the OpenAI id, and keeps Anthropic ones', () => {
    expect(anthropicToolUseId('call_Zx81abc')).toBe('toolu_oai_call_Zx81abc');
    expect(anthropicToolUseId('toolu_01A09q90qw90lq917835lq9')).toBe('toolu_01A09q90qw90lq917835lq9');
    expect(anthropicToolUseId('chatcmpl-tool-7.1:x')).toMatch(/^toolu_oai64_[A-Za-z0-9_-]+$/);
    expect(openaiToolCallId(anthropicToolUseId('chatcmpl-tool-7.1:x'))).toBe('chatcmpl-tool-7.1:x');
    // Ids the client made up, or Anthropic's own, reach the upstream as they are.
    expect(openaiToolCallId('toolu_01A09q90qw90lq917835lq9')).toBe('toolu_01A09q90qw90lq917835lq9');
    expect(openaiToolCallId('my-tool-1')).toBe('my-tool-1');
    expect(openaiToolCallId('toolu_oai64_not base64!')).toBe('toolu_oai64_not base64!');
  });

  it('maps any OpenAI tool call id to an id Anthropic accepts and back to the same id', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.string({ minLength: 1, unit: 'grapheme' }), fc.stringMatching(/^(call_|toolu_|toolu_oai_|toolu_oai64_)[A-Za-z0-9_-]{0,12}$/)), (id) => {
        const translated = anthropicToolUseId(id);
        expect(translated).toMatch(/^toolu_[A-Za-z0-9_-]+$/);
        expect(openaiToolCallId(translated)).toBe(id);
      }),
    );
  });
});
