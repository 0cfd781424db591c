import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../../protocol/openai/chat-schema.ts';
import { messageText } from '../../../protocol/openai/chat-schema.ts';

/**
 * Request fields that never change the answer's content and so stay out of the context hash.
 * Everything else — including fields Frugal does not know, which pass through to the upstream —
 * is hashed: an unknown field may well change the answer, and a spurious miss is cheap.
 */
const FIELDS_OUTSIDE_CONTEXT = new Set(['model', 'messages', 'stream', 'stream_options', 'user', 'metadata']);

/**
 * The text the semantic cache compares: the final user message. Undefined when the conversation
 * does not end with a user turn (a tool result, an assistant prefill), which the semantic cache
 * must not answer from a stored question.
 */
export function semanticQuestion(request: ChatRequest): string | undefined {
  const last = request.messages[request.messages.length - 1];
  if (!last || last.role !== 'user') return undefined;
  const text = messageText(last.content).trim();
  return text === '' ? undefined : text;
}

/**
 * Hash of everything that decides the answer except the final user message's text: system prompt,
 * earlier turns, tools, sampling parameters, response_format, and any non-text part (an image) of
 * the final message. Keys are sorted at every depth, so key order never changes the hash.
 */
export function contextHash(request: ChatRequest): string {
  const context: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(request)) {
    if (!FIELDS_OUTSIDE_CONTEXT.has(field) && value !== undefined) context[field] = value;
  }
  const messages = request.messages;
  const last = messages[messages.length - 1];
  const endsWithUser = last?.role === 'user';
  context.earlierMessages = endsWithUser ? messages.slice(0, -1) : messages;
  if (endsWithUser) {
    const { content, ...rest } = last;
    context.finalMessage = {
      ...rest,
      nonTextParts: Array.isArray(content) ? content.filter((part) => part.type !== 'text') : [],
    };
  }
  return createHash('sha256').update(canonicalJson(context)).digest('hex');
}

/** Inputs of a semantic namespace; `model` is the route or model name the client asked for. */
export interface SemanticNamespaceParts {
  tenant: string;
  model: string;
  contextHash: string;
}

/**
 * The namespace a question is compared within. Parts are URI-encoded so that no tenant or model
 * name can forge another's namespace by containing the separator.
 */
export function semanticNamespace(parts: SemanticNamespaceParts): string {
  return ['sem', encodeURIComponent(parts.tenant), encodeURIComponent(parts.model), parts.contextHash].join(':');
}

/** JSON with object keys sorted at every depth; undefined members are dropped as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}
