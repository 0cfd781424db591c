import { errors } from '../../errors/codes.ts';
import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, Tool, ToolCall } from '../openai/chat-schema.ts';
import type { ResponsesRequest } from './responses-schema.ts';

type Item = Record<string, unknown>;

/**
 * Translates a parsed Responses API request into Frugal's internal chat form, or throws an OpenAI-shaped
 * 400 naming the field it cannot take.
 *
 * - `instructions` becomes the first system message; a string `input` one user message.
 * - Message items (typed `message` or just `{role, content}`) keep their role (developer stays developer);
 *   `input_text`/`output_text` parts become text parts, `input_image` with an `image_url` an image part,
 *   `input_file` with `file_data` a file part. Assistant content is joined into one string.
 * - `function_call` items become the `tool_calls` of one assistant message (merged into the assistant
 *   message right before them), `function_call_output` items `tool` messages with `tool_call_id = call_id`.
 * - `reasoning` items are dropped: a chat upstream cannot take them back.
 * - `history` (the stored conversation a `previous_response_id` names, loaded by the caller) comes right
 *   after the instructions and before this turn's input: the new request's `instructions` replace the
 *   previous ones, which are not carried over. Without `history`, `previous_response_id` is refused
 *   (stored responses are off). `item_reference` items arrive here already replaced by the stored items
 *   they name (the handler resolves them), so one is refused only when storage is off. `conversation`,
 *   file ids and `background` are refused. Built-in tools (web_search, file_search…) are refused: Frugal calls chat models, it does
 *   not run tools.
 * - `max_output_tokens` → `max_completion_tokens`; `text.format` → `response_format` (none for plain text);
 *   `reasoning.effort` → `reasoning_effort`. `metadata` and `store` do not reach the upstream
 *   (metadata becomes request tags at the edge and is echoed in the answer).
 */
export function responsesRequestToChat(body: ResponsesRequest, options: { history?: Item[] } = {}): ChatRequest {
  refuseStatefulFields(body, options.history !== undefined);
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', content: body.instructions });
  options.history?.forEach((item, index) => translateItem(item, `previous_response_id (stored item ${index})`, messages));
  if (typeof body.input === 'string') messages.push({ role: 'user', content: body.input });
  else body.input.forEach((item, index) => translateItem(item, `input[${index}]`, messages));
  if (!messages.some((message) => message.role !== 'system' && message.role !== 'developer')) {
    throw errors.invalidRequest('input must contain at least one user, assistant or function_call_output item', 'input');
  }

  const request: ChatRequest = { model: body.model, messages };
  if (body.stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.top_p = body.top_p;
  if (body.max_output_tokens != null) request.max_completion_tokens = body.max_output_tokens;
  if (body.user !== undefined) request.user = body.user;
  if (typeof body.reasoning?.effort === 'string') request.reasoning_effort = body.reasoning.effort;
  const tools = (body.tools ?? []).map((tool, index) => toolToChat(tool, `tools[${index}]`));
  if (tools.length > 0) request.tools = tools;
  if (body.tool_choice !== undefined && body.tool_choice !== null) request.tool_choice = toolChoiceToChat(body.tool_choice);
  if (body.parallel_tool_calls != null && tools.length > 0) request.parallel_tool_calls = body.parallel_tool_calls;
  const format = body.text?.format;
  const responseFormat = format == null ? undefined : formatToChat(format);
  if (responseFormat !== undefined) request.response_format = responseFormat;
  return request;
}

function refuseStatefulFields(body: ResponsesRequest, historyLoaded: boolean): void {
  const sendWhole = 'send the whole conversation in input (earlier input items, then the previous response\'s output items, then the new ones)';
  if (body.previous_response_id != null && !historyLoaded) {
    throw errors.invalidRequest(`previous_response_id is not supported: this gateway stores no responses (config responses.store: false); ${sendWhole}.`, 'previous_response_id');
  }
  if (body.conversation != null) {
    throw errors.invalidRequest(`conversation is not supported: Frugal keeps no Conversations objects; chain turns with previous_response_id, or ${sendWhole}.`, 'conversation');
  }
  if (body.background === true) {
    throw errors.invalidRequest('background is not supported: Frugal answers while the request is open (use stream: true for long answers, or the Batch API)', 'background');
  }
  if ((body as Record<string, unknown>).prompt != null) {
    throw errors.invalidRequest('prompt (a stored prompt template) is not supported: Frugal keeps no prompts; send instructions and input instead', 'prompt');
  }
}

function translateItem(item: Item, path: string, messages: ChatMessage[]): void {
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message':
      messages.push(messageItem(item, path));
      return;
    case 'function_call':
      addToolCall(messages, functionCall(item, path));
      return;
    case 'function_call_output':
      messages.push({ role: 'tool', tool_call_id: requiredString(item, 'call_id', path), content: toolOutput(item.output, `${path}.output`) });
      return;
    case 'reasoning':
      return;
    case 'item_reference':
      // With stored responses on, the handler has already swapped references for their items.
      throw errors.invalidRequest(`${path}: item_reference needs stored responses, which this gateway has turned off (config responses.store: false): send the item itself (Vercel AI SDK: providerOptions.openai.store = false)`, `${path}.type`);
    case undefined:
      throw errors.invalidRequest(`${path}: expected an input item with a type ("message", "function_call", "function_call_output") or a role`, `${path}.type`);
    default:
      throw errors.invalidRequest(`${path}: input items of type ${JSON.stringify(type)} are not supported (Frugal takes message, function_call and function_call_output items)`, `${path}.type`);
  }
}

function messageItem(item: Item, path: string): ChatMessage {
  const role = item.role;
  if (role !== 'user' && role !== 'system' && role !== 'developer' && role !== 'assistant') {
    throw errors.invalidRequest(`${path}.role: expected "user", "system", "developer" or "assistant"`, `${path}.role`);
  }
  const content = item.content;
  if (typeof content === 'string') return { role, content };
  if (!Array.isArray(content)) throw errors.invalidRequest(`${path}.content: expected a string or an array of content parts such as {"type":"input_text","text":"…"}`, `${path}.content`);
  const parts = content.map((part, index) => contentPart(part, `${path}.content[${index}]`, role));
  if (role === 'assistant') return { role, content: parts.map((part) => (part as { text: string }).text).join('') };
  return { role, content: parts };
}

function contentPart(part: unknown, path: string, role: string): ContentPart {
  if (typeof part !== 'object' || part === null) throw errors.invalidRequest(`${path}: expected a content part object`, path);
  const { type } = part as Item;
  if (type === 'input_text' || type === 'output_text') return { type: 'text', text: requiredString(part as Item, 'text', path) };
  if (type === 'refusal' && role === 'assistant') return { type: 'text', text: requiredString(part as Item, 'refusal', path) };
  if (role === 'assistant') throw errors.invalidRequest(`${path}.type: assistant content takes output_text parts; got ${JSON.stringify(type)}`, `${path}.type`);
  if (type === 'input_image') {
    const { image_url: url, detail, file_id: fileId } = part as Item;
    if (typeof url !== 'string') {
      const why = fileId !== undefined ? 'file_id images are not supported (Frugal keeps no files); send image_url as a URL or a data: URL' : 'expected image_url, a URL or a data: URL';
      throw errors.invalidRequest(`${path}.image_url: ${why}`, `${path}.image_url`);
    }
    const image: { url: string; detail?: string } = { url };
    if (typeof detail === 'string' && detail !== 'auto') image.detail = detail;
    return { type: 'image_url', image_url: image };
  }
  if (type === 'input_file') {
    const { file_data: data, filename } = part as Item;
    if (typeof data !== 'string') {
      throw errors.invalidRequest(`${path}.file_data: only inline files are supported (file_data as a data: URL); file_id and file_url are not`, `${path}.file_data`);
    }
    return { type: 'file', file: typeof filename === 'string' ? { file_data: data, filename } : { file_data: data } };
  }
  throw errors.invalidRequest(`${path}.type: expected "input_text", "input_image" or "input_file"; got ${JSON.stringify(type)}`, `${path}.type`);
}

function functionCall(item: Item, path: string): ToolCall {
  const args = item.arguments ?? '{}';
  if (typeof args !== 'string') throw errors.invalidRequest(`${path}.arguments: expected a JSON string`, `${path}.arguments`);
  return { id: requiredString(item, 'call_id', path), type: 'function', function: { name: requiredString(item, 'name', path), arguments: args } };
}

/** Consecutive function calls, and the assistant text right before them, are one assistant turn in chat. */
function addToolCall(messages: ChatMessage[], call: ToolCall): void {
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    if (last.content === '') last.content = null;
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/** A function's output: a string, or text parts (tool messages carry text only). */
function toolOutput(output: unknown, path: string): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw errors.invalidRequest(`${path}: expected a string (the function's result)`, path);
  return output
    .map((part, index) => {
      const item = part as Item;
      if (item?.type !== 'input_text' || typeof item.text !== 'string') {
        throw errors.invalidRequest(`${path}[${index}]: a function output takes text only (input_text parts) through Frugal`, `${path}[${index}]`);
      }
      return item.text;
    })
    .join('');
}

function toolToChat(tool: Item, path: string): Tool {
  if (tool.type !== 'function') {
    throw errors.invalidRequest(
      `${path}.type: Frugal does not run built-in tools (${JSON.stringify(tool.type)}); declare function tools ({"type":"function","name":…,"parameters":…}) and run them in your app`,
      `${path}.type`,
    );
  }
  const name = tool.name;
  if (typeof name !== 'string' || name === '') throw errors.invalidRequest(`${path}.name: expected the function's name`, `${path}.name`);
  const fn: Tool['function'] = { name };
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (tool.parameters != null) {
    if (typeof tool.parameters !== 'object' || Array.isArray(tool.parameters)) throw errors.invalidRequest(`${path}.parameters: expected a JSON Schema object`, `${path}.parameters`);
    fn.parameters = tool.parameters as Record<string, unknown>;
  }
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

function toolChoiceToChat(choice: unknown): ChatRequest['tool_choice'] {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (typeof choice === 'object' && choice !== null) {
    const { type, name } = choice as Item;
    if (type === 'function' && typeof name === 'string') return { type: 'function', function: { name } };
    if (type !== 'function') {
      throw errors.invalidRequest(`tool_choice.type: Frugal does not run built-in tools (${JSON.stringify(type)}); choose "auto", "none", "required" or {"type":"function","name":"…"}`, 'tool_choice.type');
    }
  }
  throw errors.invalidRequest('tool_choice: expected "auto", "none", "required" or {"type":"function","name":"…"}', 'tool_choice');
}

/** Plain text is every upstream's default, so it sends no response_format at all. */
function formatToChat(format: unknown): ResponseFormat | undefined {
  const { type, name, schema, strict, description } = (typeof format === 'object' && format !== null ? format : {}) as Item;
  if (type === 'text') return undefined;
  if (type === 'json_object') return { type };
  if (type === 'json_schema') {
    if (typeof name !== 'string' || name === '') throw errors.invalidRequest('text.format.name: a json_schema format needs a name', 'text.format.name');
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw errors.invalidRequest('text.format.schema: a json_schema format needs a JSON Schema object', 'text.format.schema');
    }
    const jsonSchema: Extract<ResponseFormat, { type: 'json_schema' }>['json_schema'] = { name, schema: schema as Record<string, unknown> };
    if (typeof strict === 'boolean') jsonSchema.strict = strict;
    if (typeof description === 'string') jsonSchema.description = description;
    return { type: 'json_schema', json_schema: jsonSchema };
  }
  throw errors.invalidRequest('text.format: expected {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","name":"…","schema":{…}}', 'text.format.type');
}

function requiredString(item: Item, field: string, path: string): string {
  const value = item[field];
  if (typeof value !== 'string') throw errors.invalidRequest(`${path}.${field}: expected a string`, `${path}.${field}`);
  return value;
}
