import { o200k } from '../../tokens/o200k.ts';

const countO200kTokens = (text: string): number => o200k().countTokens(text);
import { messageText, type ChatMessage } from '../../protocol/openai/chat-schema.ts';
import { estimateTokens } from './estimate-tokens.ts';
import { selectChunks, type ChunkBudget, type Selection, type TokenCounter } from './select-chunks.ts';

/**
 * Local, query-aware extractive compression: no model, no network. Long context is cut into
 * sentences (code and JSON blocks whole), scored against the final user question, and the best are
 * kept within a token budget in their original order. See select-chunks.ts for the scorer.
 */

/** Message roles whose text may be compressed. `assistant` means earlier assistant turns. */
export type CompressibleRole = 'system' | 'developer' | 'tool' | 'assistant' | 'user';

/** The default: everything but the user's own words (compression is lossy). */
export const DEFAULT_COMPRESSIBLE_ROLES: readonly CompressibleRole[] = ['system', 'developer', 'tool', 'assistant'];

/** Budget and thresholds for extractive compression. */
export interface ExtractiveOptions {
  /** Compression factor to aim for: tokens before ÷ tokens after (5 keeps about a fifth). */
  targetRatio?: number;
  /** Upper bound on the kept tokens of the compressible text. */
  maxContextTokens?: number;
  /** Compressible text shorter than this many tokens is left unchanged. */
  minTokens?: number;
  /**
   * Token counter for everything. By default chunks are budgeted with a fast estimate calibrated to
   * o200k and the reported before/after are exact gpt-tokenizer (o200k) counts.
   */
  countTokens?: TokenCounter;
}

/** Result of {@link compressText}. `before`/`after` count the context's tokens. */
export interface ExtractiveResult {
  text: string;
  before: number;
  after: number;
  /** Kept [start, end) offsets into the original context. */
  keptRanges: Array<[number, number]>;
  /** False when the text was returned unchanged (below `minTokens`, or nothing to remove). */
  changed: boolean;
  stats: Omit<Selection, 'texts' | 'keptRanges'> | undefined;
}

/** Compresses one context string against `question`. Pure: no I/O, deterministic. */
export function compressText(context: string, question: string, options: ExtractiveOptions = {}): ExtractiveResult {
  const count = options.countTokens ?? countO200kTokens;
  const before = count(context);
  if (before < (options.minTokens ?? 0) || context.trim() === '') {
    return { text: context, before, after: before, keptRanges: [[0, context.length]], changed: false, stats: undefined };
  }
  const { texts, keptRanges, ...stats } = selectChunks([context], question, budgetOf(options), options.countTokens ?? estimateTokens);
  if (stats.keptChunks === stats.totalChunks && stats.duplicatesRemoved === 0) {
    return { text: context, before, after: before, keptRanges: [[0, context.length]], changed: false, stats };
  }
  return { text: texts[0], before, after: count(texts[0]), keptRanges: keptRanges[0], changed: true, stats };
}

/** Options for {@link compressChatMessages}. */
export interface MessageCompressionOptions extends ExtractiveOptions {
  /** Roles whose text may be compressed; defaults to {@link DEFAULT_COMPRESSIBLE_ROLES}. */
  roles?: readonly CompressibleRole[];
  /** Indices of messages to leave as they are (e.g. a system prompt already summarized). */
  skipMessages?: ReadonlySet<number>;
}

/** Result of {@link compressChatMessages}. `before`/`after` count the text tokens of all messages. */
export interface MessageCompressionResult {
  messages: ChatMessage[];
  before: number;
  after: number;
  /** The text scored against: the final user message (or its first and last paragraphs). */
  question: string;
  changed: boolean;
  stats: Omit<Selection, 'texts' | 'keptRanges'> | undefined;
}

interface SegmentSlot {
  message: number;
  /** Content part index, or -1 for string content. */
  part: number;
  /** Protected text kept verbatim around the compressible middle (final user message only). */
  head: string;
  tail: string;
}

/**
 * Compresses the messages of a chat request against its final user message. Only roles listed in
 * `roles` are touched; the final user message is never dropped — when `user` is listed, only the
 * paragraphs between its first and last are compressible, since the question sits at one end.
 * Messages are copied, never mutated; a message whose text is all dropped keeps an empty content.
 */
export function compressChatMessages(
  messages: readonly ChatMessage[],
  options: MessageCompressionOptions = {},
): MessageCompressionResult {
  const count = options.countTokens ?? countO200kTokens;
  const roles = new Set<string>(options.roles ?? DEFAULT_COMPRESSIBLE_ROLES);
  if (roles.has('tool')) roles.add('function');
  const before = messages.reduce((sum, message) => sum + count(messageText(message.content)), 0);
  const finalUser = messages.findLastIndex((message) => message.role === 'user');
  const unchanged = (question: string): MessageCompressionResult => ({
    messages: [...messages], before, after: before, question, changed: false, stats: undefined,
  });
  if (finalUser === -1) return unchanged('');
  const finalText = messageText(messages[finalUser].content);
  const slots: SegmentSlot[] = [];
  const segments: string[] = [];
  let question = finalText;
  messages.forEach((message, index) => {
    if (index === finalUser || !roles.has(message.role) || options.skipMessages?.has(index)) return;
    if (typeof message.content === 'string') {
      slots.push({ message: index, part: -1, head: '', tail: '' });
      segments.push(message.content);
    } else if (Array.isArray(message.content)) {
      message.content.forEach((part, partIndex) => {
        const text = (part as { text?: unknown }).text;
        if (part.type !== 'text' || typeof text !== 'string') return;
        slots.push({ message: index, part: partIndex, head: '', tail: '' });
        segments.push(text);
      });
    }
  });
  if (roles.has('user') && typeof messages[finalUser].content === 'string' && !options.skipMessages?.has(finalUser)) {
    const split = splitEnds(finalText);
    if (split) {
      question = `${split.head}\n${split.tail}`;
      slots.push({ message: finalUser, part: -1, head: split.head, tail: split.tail });
      segments.push(split.middle);
    }
  }
  const chunkCounter = options.countTokens ?? estimateTokens;
  const compressibleTokens = segments.reduce((sum, segment) => sum + chunkCounter(segment), 0);
  if (segments.length === 0 || compressibleTokens < (options.minTokens ?? 0)) return unchanged(question);
  const { texts, keptRanges: _ranges, ...stats } = selectChunks(segments, question, budgetOf(options), chunkCounter);
  if (stats.keptChunks === stats.totalChunks && stats.duplicatesRemoved === 0) return { ...unchanged(question), stats };

  const result = messages.map((message) => ({ ...message }));
  slots.forEach((slot, index) => {
    const message = result[slot.message];
    const text = slot.head || slot.tail ? [slot.head, texts[index], slot.tail].filter(Boolean).join('\n\n') : texts[index];
    if (slot.part === -1) message.content = text;
    else if (Array.isArray(message.content)) {
      message.content = message.content.map((part, partIndex) => (partIndex === slot.part ? { ...part, text } : part));
    }
  });
  const after = result.reduce((sum, message) => sum + count(messageText(message.content)), 0);
  return { messages: result, before, after, question, changed: true, stats };
}

/** First paragraph, middle, last paragraph — or undefined when there is no middle to compress. */
function splitEnds(text: string): { head: string; middle: string; tail: string } | undefined {
  // Paragraph breaks inside a fenced code block are not breaks: cutting there would orphan a fence.
  const breaks: Array<[number, number]> = [];
  let inFence = false;
  const blankOrFence = /^[ \t]{0,3}(?:```|~~~).*$|\n[ \t]*\n/gm;
  for (const match of text.matchAll(blankOrFence)) {
    if (match[0].startsWith('\n')) {
      if (!inFence) breaks.push([match.index, match.index + match[0].length]);
    } else inFence = !inFence;
  }
  if (breaks.length < 2) return undefined;
  const first = breaks[0];
  const last = breaks[breaks.length - 1];
  return { head: text.slice(0, first[0]).trim(), middle: text.slice(first[1], last[0]), tail: text.slice(last[1]).trim() };
}

function budgetOf(options: ExtractiveOptions): ChunkBudget {
  return { targetRatio: options.targetRatio, maxTokens: options.maxContextTokens };
}
