import { messageText, type ChatRequest } from '../../protocol/openai/chat-schema.ts';
import { countTextTokens } from '../../tokens/count-tokens.ts';
import type { ChatHandler, ChatOutcome, RequestContext, Stage } from '../../pipeline/types.ts';
import type { MicroBatchConfig } from '../batch-config.ts';
import { runPack, type PackItem } from './run-pack.ts';

interface PendingGroup {
  items: PackItem[];
  timer: NodeJS.Timeout;
}

/**
 * Micro-batching (opt-in per model or route name): small non-streamed prompts with the same tenant,
 * target model, system prompt and sampling settings that arrive within `window_ms` are sent as one
 * call with numbered answers (up to `max_items`), then answered separately. Everything else passes
 * straight through. Sits just before the call, after routing has chosen the target.
 */
export function createMicroBatchStage(config: MicroBatchConfig): Stage {
  const enabled = new Set(config.models);
  return (next) => {
    if (enabled.size === 0) return next;
    const groups = new Map<string, PendingGroup>();
    const flush = (key: string) => {
      const group = groups.get(key);
      if (!group) return;
      groups.delete(key);
      clearTimeout(group.timer);
      void runPack(next, group.items);
    };
    return async function microBatch(request: ChatRequest, context: RequestContext): Promise<ChatOutcome> {
      const key = packKey(request, context, enabled, config.max_item_tokens);
      if (key === undefined) return next(request, context);
      return new Promise<ChatOutcome>((resolve, reject) => {
        const item: PackItem = { request, context, resolve, reject };
        const group = groups.get(key);
        if (group) group.items.push(item);
        else groups.set(key, { items: [item], timer: setTimeout(() => flush(key), config.window_ms) });
        if ((groups.get(key)?.items.length ?? 0) >= config.max_items) flush(key);
      });
    };
  };
}

/** The grouping key, or undefined when the request cannot be packed. */
function packKey(request: ChatRequest, context: RequestContext, enabled: Set<string>, maxItemTokens: number): string | undefined {
  if (!enabled.has(context.requestedModel) && !(context.route && enabled.has(context.route))) return undefined;
  if (context.stream || !context.target || context.endpoint === 'messages' || context.endpoint === 'embeddings') return undefined;
  // A numbered pack is a chat prompt: a completions upstream would continue it as raw text.
  if (context.nativeCompletions && context.target.deployments.some((deployment) => deployment.provider.completionsApi)) return undefined;
  if (request.tools?.length || request.logprobs || (request.n ?? 1) > 1) return undefined;
  if (request.response_format && request.response_format.type !== 'text') return undefined;
  const messages = request.messages;
  const system = messages.length === 2 && messages[0].role === 'system' ? messages[0] : undefined;
  const user = messages.at(-1);
  if (messages.length > 2 || (messages.length === 2 && !system) || user?.role !== 'user') return undefined;
  if (typeof user.content !== 'string' && !Array.isArray(user.content)) return undefined;
  const question = messageText(user.content);
  if (question === '' || countTextTokens(question) > maxItemTokens) return undefined;
  const sampling = { temperature: request.temperature, top_p: request.top_p, seed: request.seed, stop: request.stop };
  return JSON.stringify([context.tenant, context.target.name, system ? messageText(system.content) : null, sampling]);
}
