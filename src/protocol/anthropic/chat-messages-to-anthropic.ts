import type { ChatMessage } from '../openai/chat-schema.ts';
import { parseToolArguments } from './chat-response-to-anthropic.ts';
import {
  isTextBlock,
  isToolResultBlock,
  type AnthropicMessageParam,
  type AnthropicRequestBlock,
  type AnthropicTextBlock,
} from './messages-schema.ts';

/** The Anthropic form of an OpenAI message list: the system prompt and the alternating turns. */
export interface AnthropicConversation {
  system: AnthropicTextBlock[];
  messages: AnthropicMessageParam[];
}

type Turn = { role: 'user' | 'assistant'; blocks: AnthropicRequestBlock[] };

/**
 * Translates OpenAI chat messages into Anthropic's shape. System and developer messages, wherever
 * they are, are gathered into `system` (Anthropic has no mid-conversation system turn; a moved one is
 * warned about). Tool messages become `tool_result` blocks in a user turn. Consecutive turns of the
 * same role are merged, because Anthropic requires user and assistant to alternate, and inside a user
 * turn the `tool_result` blocks are put first, as Anthropic requires. Empty turns are left out.
 */
export function chatMessagesToAnthropic(messages: ChatMessage[], warnings: string[]): AnthropicConversation {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  let conversationStarted = false;
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') {
      if (conversationStarted) warnings.push(`a ${message.role} message inside the conversation was moved into the system prompt`);
      for (const block of contentToBlocks(message.content, warnings)) {
        if (isTextBlock(block)) system.push(block);
        else warnings.push(`a ${block.type} part in a ${message.role} message is not supported by Anthropic and was dropped`);
      }
      continue;
    }
    conversationStarted = true;
    if (message.role === 'user') turns.push({ role: 'user', blocks: contentToBlocks(message.content, warnings) });
    else if (message.role === 'assistant') turns.push({ role: 'assistant', blocks: assistantBlocks(message, warnings) });
    else if (message.role === 'tool') turns.push({ role: 'user', blocks: [toolResultBlock(message, warnings)] });
    else {
      warnings.push("role 'function' (deprecated) has no Anthropic equivalent; its result was sent as user text");
      const text = contentToBlocks(message.content, warnings).filter(isTextBlock).map((block) => block.text).join('\n');
      turns.push({ role: 'user', blocks: [{ type: 'text', text: `Result of function ${message.name ?? ''}: ${text}` }] });
    }
  }
  return { system, messages: mergeTurns(turns) };
}

function mergeTurns(turns: Turn[]): AnthropicMessageParam[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    if (turn.blocks.length === 0) continue;
    const last = merged.at(-1);
    if (last && last.role === turn.role) last.blocks.push(...turn.blocks);
    else merged.push({ role: turn.role, blocks: [...turn.blocks] });
  }
  return merged.map(({ role, blocks }) => {
    const ordered = role === 'user' ? [...blocks.filter(isToolResultBlock), ...blocks.filter((block) => !isToolResultBlock(block))] : blocks;
    const only = ordered[0];
    if (ordered.length === 1 && isTextBlock(only) && !only.cache_control) return { role, content: only.text };
    return { role, content: ordered };
  });
}

/**
 * OpenAI content (string or parts) → Anthropic blocks. Empty text is left out (Anthropic rejects
 * empty text blocks); `cache_control` on a part is kept, so prompt-caching breakpoints survive.
 */
export function contentToBlocks(content: ChatMessage['content'], warnings: string[]): AnthropicRequestBlock[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: AnthropicRequestBlock[] = [];
  for (const part of content) {
    const block = partToBlock(part as Record<string, unknown> & { type: string }, warnings);
    if (!block) continue;
    if (part.cache_control) block.cache_control = part.cache_control;
    blocks.push(block);
  }
  return blocks;
}

function partToBlock(part: Record<string, unknown> & { type: string }, warnings: string[]): AnthropicRequestBlock | undefined {
  if (part.type === 'text' || part.type === 'refusal') {
    const text = typeof part.text === 'string' ? part.text : typeof part.refusal === 'string' ? part.refusal : '';
    return text === '' ? undefined : { type: 'text', text };
  }
  if (part.type === 'image_url') {
    const imageUrl = part.image_url as { url: string };
    const source = urlToSource(imageUrl.url);
    if (source) return { type: 'image', source };
    warnings.push('an image given as a non-base64 data URL is not supported by Anthropic and was dropped');
    return undefined;
  }
  if (part.type === 'file') {
    const file = (part.file ?? {}) as { file_data?: unknown };
    const source = typeof file.file_data === 'string' ? urlToSource(file.file_data) : undefined;
    if (source && source.type === 'base64') return { type: 'document', source };
    warnings.push('a file part without inline base64 data (file_id) is not supported by Anthropic and was dropped');
    return undefined;
  }
  warnings.push(`a '${part.type}' content part is not supported by Anthropic and was dropped`);
  return undefined;
}

function urlToSource(url: string): { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | undefined {
  if (!url.startsWith('data:')) return { type: 'url', url };
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const meta = url.slice(5, comma).split(';');
  if (!meta.includes('base64')) return undefined;
  return { type: 'base64', media_type: meta[0] || 'application/octet-stream', data: url.slice(comma + 1) };
}

function assistantBlocks(message: ChatMessage, warnings: string[]): AnthropicRequestBlock[] {
  const blocks = contentToBlocks(message.content, warnings);
  for (const call of message.tool_calls ?? []) {
    const input = parseToolArguments(call.function.arguments);
    if ('_unparsed_arguments' in input) warnings.push(`tool call ${call.id} has arguments that are not a JSON object; sent as _unparsed_arguments`);
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
  }
  return blocks;
}

function toolResultBlock(message: ChatMessage, warnings: string[]): AnthropicRequestBlock {
  if (!message.tool_call_id) warnings.push('a tool message without tool_call_id cannot be matched to its tool call');
  const block: AnthropicRequestBlock = { type: 'tool_result', tool_use_id: message.tool_call_id ?? '' };
  if (typeof message.content === 'string') {
    if (message.content !== '') block.content = message.content;
  } else {
    const blocks = contentToBlocks(message.content, warnings);
    if (blocks.length > 0) block.content = blocks;
  }
  return block;
}
