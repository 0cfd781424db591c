import type { ChatMessage, ChatRequest, ContentPart, Tool, ToolCall } from '../openai/chat-schema.ts';
import {
  isImageBlock,
  isTextBlock,
  isToolResultBlock,
  isToolUseBlock,
  type AnthropicImageBlock,
  type AnthropicMessageParam,
  type AnthropicMessagesRequest,
  type AnthropicTextBlock,
  type AnthropicToolChoice,
} from './messages-schema.ts';
import { openaiToolCallId } from './anthropic-ids.ts';

/**
 * Translates a parsed Anthropic Messages request into Frugal's internal OpenAI chat form.
 *
 * - `system` becomes the first system message; text blocks stay parts so nothing is re-joined.
 * - `cache_control` is kept on the text/image parts that carried it (the OpenRouter convention), so the
 *   Anthropic adapter can restore the breakpoints; OpenAI-compatible adapters must drop the field.
 * - A user turn's `tool_result` blocks become `tool` messages placed first, right after the assistant
 *   turn that asked for them (OpenAI requires that order); its other blocks follow as one user message.
 *   Images inside a tool result move to that user message, since tool messages carry text only.
 *   `is_error: true` prefixes the result with "Error: " because OpenAI has no error flag.
 * - `thinking` / `redacted_thinking` blocks are dropped: OpenAI-shaped upstreams cannot take them back.
 * - `top_k` is carried as an extra field; adapters whose provider lacks it drop it.
 * - Server tools (no `input_schema`) cannot become functions and are dropped.
 * - Structured outputs (`output_config.format`, or the beta's `output_format`, of type `json_schema`) become
 *   `response_format` `json_schema` named `output`, without `strict`: OpenAI's strict mode refuses schemas
 *   Anthropic takes (optional properties), and a refused request is worse than a guided one.
 * - `tool_use` ids and `tool_use_id`s that Frugal translated from an OpenAI tool call id
 *   (`toolu_oai_…`, anthropic-ids.ts) map back to that id, so the upstream sees the ids it issued.
 */
export function anthropicRequestToChat(body: AnthropicMessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string') {
    if (body.system !== '') messages.push({ role: 'system', content: body.system });
  } else if (body.system && body.system.length > 0) {
    messages.push({ role: 'system', content: body.system.map(textPart) });
  }
  for (const message of body.messages) messages.push(...translateMessage(message));

  const request: ChatRequest = { model: body.model, messages, max_tokens: body.max_tokens };
  if (body.stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.top_p = body.top_p;
  if (body.top_k !== undefined) request.top_k = body.top_k;
  if (body.stop_sequences && body.stop_sequences.length > 0) request.stop = body.stop_sequences;
  if (body.metadata?.user_id) request.user = body.metadata.user_id;
  const format = body.output_config?.format ?? body.output_format;
  if (format?.type === 'json_schema' && format.schema !== undefined) {
    request.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }

  const tools = (body.tools ?? []).flatMap((tool): Tool[] =>
    tool.input_schema === undefined
      ? []
      : [{ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.input_schema } }],
  );
  if (tools.length > 0) {
    request.tools = tools;
    if (body.tool_choice) {
      request.tool_choice = toolChoiceToChat(body.tool_choice);
      if ('disable_parallel_tool_use' in body.tool_choice && body.tool_choice.disable_parallel_tool_use) {
        request.parallel_tool_calls = false;
      }
    }
  }
  return request;
}

function toolChoiceToChat(choice: AnthropicToolChoice): ChatRequest['tool_choice'] {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

function translateMessage(message: AnthropicMessageParam): ChatMessage[] {
  if (typeof message.content === 'string') return [{ role: message.role, content: message.content }];
  if (message.role === 'assistant') return [assistantMessage(message.content)];

  const toolMessages: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of message.content) {
    if (isToolResultBlock(block)) {
      const content = block.content ?? '';
      const text = typeof content === 'string' ? content : content.filter(isTextBlock).map((part) => part.text).join('\n');
      if (typeof content !== 'string') parts.push(...content.filter(isImageBlock).map(imagePart));
      toolMessages.push({ role: 'tool', tool_call_id: openaiToolCallId(block.tool_use_id), content: block.is_error ? `Error: ${text}` : text });
    } else {
      const part = userPart(block);
      if (part) parts.push(part);
    }
  }
  if (parts.length === 0 && toolMessages.length > 0) return toolMessages;
  return [...toolMessages, { role: message.role, content: parts }];
}

function assistantMessage(blocks: Exclude<AnthropicMessageParam['content'], string>): ChatMessage {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (isTextBlock(block)) texts.push(block.text);
    else if (isToolUseBlock(block)) {
      toolCalls.push({
        id: openaiToolCallId(block.id),
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const message: ChatMessage = { role: 'assistant', content: texts.length > 0 ? texts.join('\n') : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  else if (message.content === null) message.content = '';
  return message;
}

function userPart(block: { type: string }): ContentPart | undefined {
  if (isTextBlock(block)) return textPart(block);
  if (isImageBlock(block)) return imagePart(block);
  if (block.type === 'document') return documentPart(block as { type: 'document'; source?: Record<string, unknown> });
  return undefined;
}

function textPart(block: AnthropicTextBlock): ContentPart {
  const part: ContentPart = { type: 'text', text: block.text };
  if (block.cache_control) part.cache_control = block.cache_control;
  return part;
}

function imagePart(block: AnthropicImageBlock): ContentPart {
  const source = block.source as { type: string; media_type?: string; data?: string; url?: string };
  const url =
    source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.type === 'url' ? source.url : undefined;
  // A Files API image (`file_id`) has no OpenAI equivalent; keep a visible marker rather than drop it silently.
  if (url === undefined) return { type: 'text', text: `[image from unsupported source: ${source.type}]` };
  const part: ContentPart = { type: 'image_url', image_url: { url } };
  if (block.cache_control) part.cache_control = block.cache_control;
  return part;
}

/** PDF documents become OpenAI `file` parts; plain-text documents become text. */
function documentPart(block: { source?: Record<string, unknown> }): ContentPart | undefined {
  const source = block.source ?? {};
  if (source.type === 'base64' && typeof source.data === 'string') {
    return { type: 'file', file: { file_data: `data:${String(source.media_type)};base64,${source.data}` } };
  }
  if (source.type === 'text' && typeof source.data === 'string') return { type: 'text', text: source.data };
  return undefined;
}
