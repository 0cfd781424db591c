import { o200k } from '../../tokens/o200k.ts';
import { errors } from '../../errors/codes.ts';
import { femtoToNano, tokenCostFemto, type Nano } from '../../pricing/money.ts';
import type { ModelPrice } from '../../pricing/price-book.ts';
import { messageText, type ChatMessage, type ChatRequest } from '../../protocol/openai/chat-schema.ts';
import type { ChatHandler, RequestContext, Stage } from '../types.ts';
import {
  parseCompressionSettings,
  resolveCompressionConfig,
  type CompressionConfig,
  type CompressionSettings,
  type CompressionSettingsInput,
} from './compression-config.ts';
import { compressChatMessages } from './extractive-compressor.ts';
import type { SummaryCompressor } from './summary-compressor.ts';

export { compressionConfigSchema, compressionSettingsSchema, type CompressionConfig } from './compression-config.ts';

/** Options of {@link createCompressStage}. */
export interface CompressStageOptions {
  /** The `compression:` config section (parsed here; a bad field throws an error naming it). */
  settings?: CompressionSettingsInput | CompressionSettings;
  /** Needed for `mode: summary | both`; without it those modes fall back to extractive or nothing. */
  summary?: SummaryCompressor;
  /** Who the summarizer is, for the Attempt charged on a first summary. */
  summaryModel?: { provider: string; model: string; upstreamModel?: string };
}

const SUMMARIZABLE_ROLES = new Set(['system', 'developer']);

/**
 * The compress stage: shrinks long context before the call when the route, model or request opts
 * in. It records `context.compression = {before, after}` (text tokens of all messages, o200k) and the
 * header `x-frugal-compression: before/after`; the account stage prices the saving with
 * {@link compressionSavingNano}.
 */
export function createCompressStage(options: CompressStageOptions = {}): Stage {
  const settings = parseCompressionSettings(options.settings);
  return (next: ChatHandler): ChatHandler =>
    async function compress(request, context) {
      const config = configFor(settings, context);
      if (!isEnabled(config, context)) return next(request, context);
      const compressed = await compressRequest(request, context, config, options);
      if (compressed !== request && context.nativeAnthropic) {
        // An Anthropic upstream would otherwise receive the client's own, uncompressed body: from here on
        // it gets the compressed request translated (the prompt-cache planner re-adds breakpoints).
        context.nativeAnthropic = undefined;
        context.trace.push({ stage: 'compress', detail: 'native Anthropic pass-through replaced by the compressed, translated request' });
      }
      return next(compressed, context);
    };
}

function configFor(settings: CompressionSettings, context: RequestContext): CompressionConfig {
  // The compress stage runs before routing, so a route is known by name from the requested model.
  return resolveCompressionConfig(settings, {
    route: context.route ?? context.requestedModel,
    model: context.target?.name ?? context.requestedModel,
  });
}

function isEnabled(config: CompressionConfig, context: RequestContext): boolean {
  const header = context.requestHeaders['x-frugal-compress']?.trim().toLowerCase();
  if (header === undefined || header === '') return config.enabled;
  if (header === 'on') return true;
  if (header === 'off') return false;
  throw errors.invalidRequest(`x-frugal-compress must be 'on' or 'off', got '${header}'`, 'x-frugal-compress');
}

async function compressRequest(
  request: ChatRequest,
  context: RequestContext,
  config: CompressionConfig,
  options: CompressStageOptions,
): Promise<ChatRequest> {
  const before = promptTokens(request.messages);
  let messages: ChatMessage[] = request.messages;
  const summarized = new Set<number>();
  const notes: string[] = [];
  if (config.mode !== 'extractive') {
    if (options.summary) messages = await summarizeStatic(messages, config, context, options, summarized, notes);
    else notes.push('no summarizer configured');
  }
  if (config.mode !== 'summary') {
    const result = compressChatMessages(messages, {
      roles: config.roles,
      targetRatio: config.target_ratio,
      maxContextTokens: config.max_context_tokens,
      minTokens: config.min_tokens,
      skipMessages: summarized,
    });
    messages = result.messages;
    if (result.stats) {
      notes.push(
        `extractive kept ${result.stats.keptChunks}/${result.stats.totalChunks} chunks, ` +
          `${result.stats.duplicatesRemoved} duplicates removed, ${result.stats.anchorChunks} kept for the question's numbers/names`,
      );
    } else notes.push(`extractive skipped: compressible text under min_tokens ${config.min_tokens} or no user question`);
  }
  const after = messages === request.messages ? before : promptTokens(messages);
  context.compression = { before, after };
  context.headers['x-frugal-compression'] = `${before}/${after}`;
  context.trace.push({
    stage: 'compress',
    detail: `${config.mode} ${before}→${after} tokens${after > 0 ? ` (${(before / after).toFixed(2)}×)` : ''}; ${notes.join('; ')}`,
    data: { mode: config.mode, before, after, roles: config.roles, targetRatio: config.target_ratio },
  });
  return messages === request.messages ? request : { ...request, messages };
}

async function summarizeStatic(
  messages: ChatMessage[],
  config: CompressionConfig,
  context: RequestContext,
  options: CompressStageOptions,
  summarized: Set<number>,
  notes: string[],
): Promise<ChatMessage[]> {
  const summary = options.summary as SummaryCompressor;
  const result = [...messages];
  for (const [index, message] of messages.entries()) {
    if (!SUMMARIZABLE_ROLES.has(message.role) || !config.roles.includes(message.role as 'system' | 'developer')) continue;
    if (typeof message.content !== 'string' || o200k().countTokens(message.content) < config.min_tokens) continue;
    const started = performance.now();
    try {
      const outcome = await summary.summarize(message.content, context.tenant);
      result[index] = { ...message, content: outcome.summary };
      summarized.add(index);
      if (!outcome.reused) {
        context.attempts.push({
          provider: options.summaryModel?.provider ?? 'summarizer',
          model: options.summaryModel?.model ?? 'summarizer',
          upstreamModel: options.summaryModel?.upstreamModel ?? options.summaryModel?.model ?? 'summarizer',
          purpose: 'summary',
          status: 'ok',
          latencyMs: performance.now() - started,
          usage: outcome.usage,
          costNano: outcome.chargedNano,
        });
      }
      notes.push(
        outcome.reused
          ? `summary of message ${index} reused (${outcome.reuses} reuses, cost ${outcome.costNano} nano once, ${outcome.amortizedNano} nano per use)`
          : `summary of message ${index} made (charged ${outcome.chargedNano} nano once)`,
      );
    } catch (error) {
      // Compression is an optimization: a failing summarizer leaves the prompt as it was.
      notes.push(`summary of message ${index} failed: ${(error as Error).message}`);
    }
  }
  return result;
}

/** Text tokens of all messages (o200k). Per-message framing tokens cancel out in before − after. */
function promptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + o200k().countTokens(messageText(message.content)), 0);
}

/** Saving of compression at the served model's input price: (before − after) × input price, exact. */
export function compressionSavingNano(before: number, after: number, price: ModelPrice | undefined): Nano {
  if (!price || after >= before) return 0;
  return femtoToNano(tokenCostFemto(before - after, price.input));
}
