import type { ChatRequest, ResponseFormat } from '../openai/chat-schema.ts';
import { chatMessagesToAnthropic } from './chat-messages-to-anthropic.ts';
import type { AnthropicMessagesRequest, AnthropicToolChoice, AnthropicToolDefinition } from './messages-schema.ts';

/** Options for {@link chatRequestToAnthropic}. */
export interface ChatToAnthropicOptions {
  /** `max_tokens` when the request sets none; Anthropic requires one. Default 4096. */
  defaultMaxTokens?: number;
}

/** An Anthropic request body plus what could not be carried over, one sentence per dropped thing. */
export interface AnthropicRequestTranslation {
  body: AnthropicMessagesRequest;
  warnings: string[];
}

/** Fields this module translates; any other non-null field is reported as unsupported. */
const translatedFields = new Set([
  'model', 'messages', 'stream', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'stop',
  'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'user', 'thinking',
  // Without effect on the answer: Anthropic always reports usage; `store`/`metadata` feed OpenAI's dashboard.
  'stream_options', 'store', 'metadata',
]);

/** Values that equal the OpenAI default, so dropping them changes nothing. */
const harmlessDefaults: Record<string, unknown> = { n: 1, logprobs: false, presence_penalty: 0, frequency_penalty: 0 };

/**
 * Translates Frugal's internal OpenAI chat request into an Anthropic Messages body for `upstreamModel`.
 * Messages: see chatMessagesToAnthropic. Parameters Anthropic lacks (n > 1, logprobs, penalties, seed…)
 * are dropped and listed in `warnings` for the caller to log or surface, never dropped silently.
 *
 * `response_format` becomes a system instruction, not a forced tool: a forced tool conflicts with the
 * caller's own tools and tool_choice and with extended thinking, and would need the response (and each
 * stream chunk) rewritten from tool input back to text. The instruction is stateless and streams as
 * is; it is not enforced, so it is reported as a warning and the JSON should be validated downstream.
 */
export function chatRequestToAnthropic(
  request: ChatRequest,
  upstreamModel: string,
  options: ChatToAnthropicOptions = {},
): AnthropicRequestTranslation {
  const warnings: string[] = [];
  const { system, messages } = chatMessagesToAnthropic(request.messages, warnings);
  const formatInstruction = responseFormatInstruction(request.response_format, warnings);
  if (formatInstruction) system.push({ type: 'text', text: formatInstruction });

  const body: AnthropicMessagesRequest = {
    model: upstreamModel,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? options.defaultMaxTokens ?? 4096,
    messages,
  };
  if (system.length === 1 && !system[0].cache_control) body.system = system[0].text;
  else if (system.length > 0) body.system = system;
  if (request.stream) body.stream = true;
  if (request.temperature != null) {
    if (request.temperature > 1) warnings.push(`temperature ${request.temperature} is above Anthropic's maximum of 1; sent as 1`);
    body.temperature = Math.min(1, request.temperature);
  }
  if (request.top_p != null) body.top_p = request.top_p;
  if (typeof request.top_k === 'number') body.top_k = request.top_k;
  const stopSequences = stopToSequences(request.stop, warnings);
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;
  if (request.user) body.metadata = { user_id: request.user };
  if (request.thinking && typeof request.thinking === 'object') body.thinking = request.thinking as AnthropicMessagesRequest['thinking'];

  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(toolToAnthropic);
    const choice = toolChoiceToAnthropic(request.tool_choice, request.parallel_tool_calls, warnings);
    if (choice) body.tool_choice = choice;
  }

  for (const [field, value] of Object.entries(request)) {
    if (translatedFields.has(field) || value === null || value === undefined || harmlessDefaults[field] === value) continue;
    warnings.push(`'${field}' is not supported by Anthropic and was dropped`);
  }
  return { body, warnings };
}

function responseFormatInstruction(format: ResponseFormat | undefined, warnings: string[]): string | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    warnings.push('response_format json_object is requested by a system instruction; Anthropic does not enforce it');
    return 'Respond with a single valid JSON object and nothing else: no prose, no code fences.';
  }
  if (format.type === 'json_schema' && 'json_schema' in format) {
    warnings.push('response_format json_schema is requested by a system instruction; Anthropic does not enforce the schema');
    const schema = JSON.stringify(format.json_schema.schema ?? {});
    return `Respond with a single valid JSON object that conforms to this JSON Schema, and nothing else (no prose, no code fences):\n${schema}`;
  }
  warnings.push(`response_format type '${(format as { type: string }).type}' is not supported by Anthropic and was dropped`);
  return undefined;
}

function stopToSequences(stop: ChatRequest['stop'], warnings: string[]): string[] {
  const sequences = stop == null ? [] : typeof stop === 'string' ? [stop] : stop;
  // Anthropic rejects stop sequences made only of whitespace.
  const kept = sequences.filter((sequence) => sequence.trim() !== '');
  if (kept.length < sequences.length) warnings.push('whitespace-only stop sequences are not supported by Anthropic and were dropped');
  return kept;
}

function toolToAnthropic(tool: NonNullable<ChatRequest['tools']>[number]): AnthropicToolDefinition {
  const parameters = tool.function.parameters ?? {};
  const definition: AnthropicToolDefinition = {
    name: tool.function.name,
    // Anthropic requires an object schema; OpenAI allows omitting parameters for argument-less tools.
    input_schema: { type: 'object', properties: {}, ...parameters },
  };
  if (tool.function.description) definition.description = tool.function.description;
  if (tool.cache_control) definition.cache_control = tool.cache_control as AnthropicToolDefinition['cache_control'];
  return definition;
}

function toolChoiceToAnthropic(
  choice: unknown,
  parallelToolCalls: boolean | undefined,
  warnings: string[],
): AnthropicToolChoice | undefined {
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null || choice === 'auto') {
    return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined;
  }
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...disableParallel };
  const named = choice as { type?: unknown; function?: { name?: unknown } };
  if (named.type === 'function' && typeof named.function?.name === 'string') {
    return { type: 'tool', name: named.function.name, ...disableParallel };
  }
  warnings.push('this tool_choice form is not supported by Anthropic; the model chooses freely');
  return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined;
}
