import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { messageText } from '../../protocol/openai/chat-schema.ts';
import { estimateTokens } from './estimate-tokens.ts';
import type { TokenCounter } from './select-chunks.ts';

/**
 * Provider prompt caching. Anthropic caches a prompt prefix only where the request marks it with
 * `cache_control` (at most four marks, prefix at least 1024 tokens — 2048 on Haiku-class models);
 * OpenAI caches the longest previously seen prefix of 1024+ tokens by itself, so there the job is
 * only to keep stable content first. https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */

type JsonObject = Record<string, unknown>;

/** Anthropic allows at most four cache breakpoints per request. */
export const ANTHROPIC_MAX_BREAKPOINTS = 4;

/** Minimum cacheable prefix for a model: 2048 tokens on Haiku-class models, 1024 otherwise. */
export function anthropicCacheMinimum(model: string): number {
  return /haiku/i.test(model) ? 2048 : 1024;
}

export interface AnthropicCachePlanOptions {
  /** Minimum prefix tokens for a breakpoint; by default from the body's model ({@link anthropicCacheMinimum}). */
  minTokens?: number;
  /** Upper bound on breakpoints, the client's included (default and maximum 4). */
  maxBreakpoints?: number;
  /** Token counter for prefix lengths (a fast o200k-calibrated estimate by default). */
  countTokens?: TokenCounter;
  /** Also mark the end of the conversation before the final user turn (pays off in multi-turn chats). */
  cacheConversation?: boolean;
  /** A block in an earlier message is a "long document" worth its own mark from this many tokens (512). */
  documentMinTokens?: number;
}

/** What the planner did. */
export interface AnthropicCachePlan {
  body: JsonObject;
  /** Breakpoints added by Frugal. */
  placed: number;
  /** Breakpoints the client had already set (counted against the four). */
  existing: number;
  /** Where breakpoints were added: "tools", "system", "messages[2].content[0]", … */
  locations: string[];
}

interface Location {
  label: string;
  order: number;
  /** Tokens of the whole prompt up to and including this location. */
  prefixTokens: number;
  kind: 'tools' | 'system' | 'document' | 'conversation';
  /** The block already carries a client's cache_control. */
  marked: boolean;
  apply: (body: JsonObject) => void;
}

interface Layout {
  locations: Location[];
  /** Order of the last client mark with a 1-hour TTL (-1 when none). */
  lastLongTtl: number;
}

/**
 * Adds `cache_control: {type: 'ephemeral'}` to stable prefixes of an Anthropic Messages body — the
 * last tool, the end of the system prompt, long documents in earlier messages — where the prefix
 * reaches the minimum, within four breakpoints in all. Never marks a block twice, never places a
 * (5-minute) mark before a client's 1-hour mark (Anthropic requires longer TTLs first). Does not
 * mutate `body`.
 */
export function planAnthropicCache(body: JsonObject, options: AnthropicCachePlanOptions = {}): AnthropicCachePlan {
  const count = options.countTokens ?? estimateTokens;
  const minTokens = options.minTokens ?? anthropicCacheMinimum(typeof body.model === 'string' ? body.model : '');
  const maxBreakpoints = Math.min(options.maxBreakpoints ?? ANTHROPIC_MAX_BREAKPOINTS, ANTHROPIC_MAX_BREAKPOINTS);
  const existing = countCacheBreakpoints(body);
  const layout = collectLocations(body, count, options);
  const result: JsonObject = { ...body };
  let slots = maxBreakpoints - existing;
  const added: string[] = [];
  for (const location of layout.locations) {
    if (slots <= 0) break;
    if (location.marked || location.order < layout.lastLongTtl || location.prefixTokens < minTokens) continue;
    location.apply(result);
    added.push(location.label);
    slots--;
  }
  return { body: added.length > 0 ? result : body, placed: added.length, existing, locations: added };
}

/** Returns a planner function in the shape the Anthropic adapter takes (`planPromptCache`). */
export function createAnthropicCachePlanner(
  options: AnthropicCachePlanOptions & { onPlan?: (plan: AnthropicCachePlan) => void } = {},
): (body: JsonObject) => JsonObject {
  return function planPromptCache(body) {
    const plan = planAnthropicCache(body, options);
    options.onPlan?.(plan);
    return plan.body;
  };
}

/** Counts `cache_control` marks in tools, system blocks and message content (tool results included). */
export function countCacheBreakpoints(body: JsonObject): number {
  let total = 0;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const object = value as JsonObject;
      if (object.cache_control) total++;
      if (Array.isArray(object.content)) object.content.forEach(visit);
    }
  };
  visit(body.tools);
  visit(body.system);
  if (Array.isArray(body.messages)) body.messages.forEach((message) => visit((message as JsonObject)?.content));
  return total;
}

const ephemeral = (): JsonObject => ({ type: 'ephemeral' });

function collectLocations(body: JsonObject, count: TokenCounter, options: AnthropicCachePlanOptions): Layout {
  const layout: Layout = { locations: [], lastLongTtl: -1 };
  let prefix = 0;
  let order = 0;
  const noteMarks = (blocks: unknown[]): void => {
    if (blocks.some((block) => controlOf(block)?.ttl === '1h')) layout.lastLongTtl = order;
  };
  const tools = Array.isArray(body.tools) ? (body.tools as JsonObject[]) : [];
  if (tools.length > 0) {
    for (const tool of tools) prefix += count(JSON.stringify(tool));
    const last = tools.length - 1;
    noteMarks(tools);
    layout.locations.push({
      label: 'tools', order: order++, prefixTokens: prefix, kind: 'tools', marked: controlOf(tools[last]) !== undefined,
      apply: (target) => {
        const copy = [...tools];
        copy[last] = { ...copy[last], cache_control: ephemeral() };
        target.tools = copy;
      },
    });
  }
  const system = typeof body.system === 'string' && body.system !== '' ? [{ type: 'text', text: body.system }] : Array.isArray(body.system) ? (body.system as JsonObject[]) : [];
  if (system.length > 0) {
    system.forEach((block) => (prefix += blockTokens(block, count)));
    const last = system.length - 1;
    noteMarks(system);
    layout.locations.push({
      label: 'system', order: order++, prefixTokens: prefix, kind: 'system', marked: controlOf(system[last]) !== undefined,
      apply: (target) => {
        const copy = [...system];
        copy[last] = { ...copy[last], cache_control: ephemeral() };
        target.system = copy;
      },
    });
  }
  const messages = Array.isArray(body.messages) ? (body.messages as JsonObject[]) : [];
  const finalUser = messages.findLastIndex((message) => message?.role === 'user');
  const documentMin = options.documentMinTokens ?? 512;
  messages.forEach((message, messageIndex) => {
    const content = message?.content;
    const blocks: JsonObject[] = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? (content as JsonObject[]) : [];
    blocks.forEach((block, blockIndex) => {
      const tokens = blockTokens(block, count);
      prefix += tokens;
      noteMarks([block]);
      // Everything before the final user turn is stable, and so are a final turn's leading blocks
      // (a pasted document before the question).
      const early = messageIndex < finalUser || (messageIndex === finalUser && blockIndex < blocks.length - 1);
      const isDocument = early && tokens >= documentMin;
      const isConversationEnd = options.cacheConversation === true && messageIndex === finalUser - 1 && blockIndex === blocks.length - 1;
      const cacheable = block.type === 'text' || block.type === 'document' || block.type === 'tool_result';
      if (!cacheable || (!isDocument && !isConversationEnd)) return;
      layout.locations.push({
        label: `messages[${messageIndex}].content[${blockIndex}]`, order: order++, prefixTokens: prefix,
        kind: isDocument ? 'document' : 'conversation', marked: controlOf(block) !== undefined,
        apply: (target) => markMessageBlock(target, messageIndex, blockIndex),
      });
    });
  });
  return layout;
}

function markMessageBlock(target: JsonObject, messageIndex: number, blockIndex: number): void {
  const messages = [...(target.messages as JsonObject[])];
  const message = messages[messageIndex];
  const blocks: JsonObject[] = typeof message.content === 'string'
    ? [{ type: 'text', text: message.content }]
    : [...(message.content as JsonObject[])];
  blocks[blockIndex] = { ...blocks[blockIndex], cache_control: ephemeral() };
  messages[messageIndex] = { ...message, content: blocks };
  target.messages = messages;
}

function blockTokens(block: JsonObject, count: TokenCounter): number {
  if (typeof block.text === 'string') return count(block.text);
  if (block.type === 'tool_result') {
    if (typeof block.content === 'string') return count(block.content);
    if (Array.isArray(block.content)) return (block.content as JsonObject[]).reduce((sum, inner) => sum + blockTokens(inner, count), 0);
    return 0;
  }
  if (block.type === 'tool_use') return count(JSON.stringify(block.input ?? {}));
  const source = block.source as JsonObject | undefined;
  if (block.type === 'document' && source?.type === 'text' && typeof source.data === 'string') return count(source.data);
  // Images and base64 documents are not counted: under-counting only means fewer marks, never a bad one.
  return 0;
}

function controlOf(value: unknown): JsonObject | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const control = (value as JsonObject).cache_control;
  return control && typeof control === 'object' ? (control as JsonObject) : undefined;
}

/** What {@link orderStableFirst} did to an OpenAI-shaped request. */
export interface StableOrderResult {
  request: ChatRequest;
  /** Changes made, in words (empty when the request went out as it came). */
  changes: string[];
  /** Estimated tokens of the stable prefix: tools plus the leading system/developer messages. */
  stablePrefixTokens: number;
  /** OpenAI caches prefixes of 1024+ tokens automatically. */
  cacheable: boolean;
}

/**
 * Keeps stable content first for providers with automatic prefix caching, without changing what the
 * request means. Safe and done: nothing is moved between messages (a system message's position
 * means something), the leading run of system/developer messages stays the prefix, and the stable
 * prefix is measured. Opt-in, because they change the bytes sent: `sortTools` orders tools by name
 * (the API treats them as a set, but order can nudge a model), and `promptCacheKey` sets OpenAI's
 * `prompt_cache_key` to a hash of the stable prefix so requests sharing it reach the same cache
 * (other OpenAI-compatible servers may reject the field). A client's own key is never replaced.
 */
export function orderStableFirst(
  request: ChatRequest,
  options: { sortTools?: boolean; promptCacheKey?: boolean; countTokens?: TokenCounter } = {},
): StableOrderResult {
  const count = options.countTokens ?? estimateTokens;
  const changes: string[] = [];
  let result: ChatRequest = request;
  if (options.sortTools && request.tools && request.tools.length > 1) {
    const sorted = [...request.tools].sort((left, right) => left.function.name.localeCompare(right.function.name));
    if (sorted.some((tool, index) => tool !== request.tools?.[index])) {
      result = { ...result, tools: sorted };
      changes.push('tools sorted by name');
    }
  }
  const leading: string[] = [];
  for (const message of result.messages) {
    if (message.role !== 'system' && message.role !== 'developer') break;
    leading.push(messageText(message.content));
  }
  const toolsText = result.tools ? JSON.stringify(result.tools) : '';
  const stablePrefixTokens = count(toolsText) + leading.reduce((sum, text) => sum + count(text), 0);
  if (options.promptCacheKey && (result as { prompt_cache_key?: unknown }).prompt_cache_key === undefined && stablePrefixTokens > 0) {
    const key = createHash('sha256').update(toolsText).update('\u0000').update(leading.join('\u0000')).digest('hex').slice(0, 32);
    result = { ...result, prompt_cache_key: `frugal-${key}` };
    changes.push('prompt_cache_key set from the stable prefix');
  }
  return { request: result, changes, stablePrefixTokens, cacheable: stablePrefixTokens >= 1024 };
}
