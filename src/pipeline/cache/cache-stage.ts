import type { ChatChunk, ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { messageText } from '../../protocol/openai/chat-schema.ts';
import { errors } from '../../errors/codes.ts';
import { usageFromOpenAI } from '../../pricing/usage.ts';
import type { ChatHandler, ChatOutcome, RequestContext, Stage } from '../types.ts';
import { encodeEntry, type CacheEntry } from './cache-entry.ts';
import { replayResponse, type CacheRuntime, type CachePlan } from './cache-runtime.ts';
import { chargeScope } from './build-semantic-cache.ts';
import { personalDataReason } from './personal-data.ts';
import { untilAborted } from './request-coalescer.ts';
import { chunksToResponse, responseToChunks } from './stream-replay.ts';

type CachingPlan = Extract<CachePlan, { kind: 'cache' }>;

/** Finish reasons of answers that are not stored: truncated by max_tokens, or withheld by a filter. */
const UNCACHEABLE_FINISH = new Set(['length', 'content_filter']);

function isEmpty(message: ChatResponse['choices'][number]['message']): boolean {
  return !message.content && !message.refusal && !(message.tool_calls && message.tool_calls.length > 0);
}

/**
 * The response cache stage (after budget, before compress and route). In order: exact lookup,
 * semantic lookup (routes by default), then wait for an identical request already in flight, and
 * only then call upstream — storing the answer once it is complete, never a partial stream.
 */
export function createCacheStage(runtime: CacheRuntime): Stage {
  return (next) =>
    async function cache(request, context) {
      const plan = runtime.plan(request, context);
      if (plan.kind === 'bypass') {
        context.cacheStatus = 'bypass';
        context.trace.push({ stage: 'cache', detail: `bypass: ${plan.reason}` });
        runtime.stats.record(context.tenant, plan.model, 'bypass');
        return next(request, context);
      }
      let vector: Float32Array | undefined;
      if (plan.directives.read) {
        const exact = await runtime.read(plan.key);
        if (exact) return serve(runtime, plan, context, exact, 'hit');
        if (plan.semantic && runtime.semantic) {
          const { namespace, question } = plan.semantic;
          const lookup = await chargeScope.run(context, () => runtime.semantic!.lookup({ namespace, question, threshold: plan.policy.threshold }));
          if (lookup.hit) {
            const entry = await runtime.read(lookup.entryKey);
            if (entry) return serve(runtime, plan, context, entry, 'semantic-hit', lookup.similarity);
            // The answer expired or was purged: forget the pointer so it stops shadowing others.
            await runtime.semantic.remove({ namespace, entryKey: lookup.entryKey });
          } else {
            vector = lookup.vector;
            context.trace.push({ stage: 'cache', detail: `semantic miss: ${lookup.reason}`, data: lookup.similarity === undefined ? undefined : { similarity: lookup.similarity } });
          }
        }
        if (runtime.config.coalesce) {
          for (let flight = runtime.coalescer.join(plan.key); flight; flight = runtime.coalescer.join(plan.key)) {
            let shared: CacheEntry | undefined;
            try {
              shared = await untilAborted(flight, context.signal);
            } catch {
              throw errors.clientClosed();
            }
            if (shared) return serve(runtime, plan, context, shared, 'hit', undefined, 'coalesced with an identical request in flight');
          }
        }
      }
      return callAndStore(runtime, plan, request, context, next, vector);
    };
}

async function callAndStore(
  runtime: CacheRuntime,
  plan: CachingPlan,
  request: ChatRequest,
  context: RequestContext,
  next: ChatHandler,
  vector: Float32Array | undefined,
): Promise<ChatOutcome> {
  context.cacheStatus = 'miss';
  runtime.stats.record(context.tenant, plan.model, 'miss');
  // Only readers lead a flight: a no-cache refresh must not hand its answer to waiting readers early.
  const flight = runtime.config.coalesce && plan.directives.read ? runtime.coalescer.lead(plan.key) : undefined;
  let outcome: ChatOutcome;
  try {
    outcome = await next(request, context);
  } catch (error) {
    flight?.settle(undefined);
    throw error;
  }
  if (outcome.kind === 'response') {
    const entry = await store(runtime, plan, request, context, outcome.response, vector);
    flight?.settle(entry);
    return outcome;
  }
  return { kind: 'stream', stream: storeWhenComplete(runtime, plan, request, context, outcome.stream, vector, flight) };
}

async function* storeWhenComplete(
  runtime: CacheRuntime,
  plan: CachingPlan,
  request: ChatRequest,
  context: RequestContext,
  stream: AsyncIterable<ChatChunk>,
  vector: Float32Array | undefined,
  flight: { settle(entry: CacheEntry | undefined): void } | undefined,
): AsyncGenerator<ChatChunk> {
  const chunks: ChatChunk[] = [];
  let complete = false;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      yield chunk;
    }
    complete = true;
  } finally {
    // A stream cut short (client gone, upstream failure) is never stored.
    if (!complete) flight?.settle(undefined);
  }
  const response = chunksToResponse(chunks);
  if (!response) context.trace.push({ stage: 'cache', detail: 'not stored: the stream did not finish every choice' });
  flight?.settle(response ? await store(runtime, plan, request, context, response, vector) : undefined);
}

/** Stores a complete answer; returns the entry when it may be shared (also with coalesced waiters). */
async function store(
  runtime: CacheRuntime,
  plan: CachingPlan,
  request: ChatRequest,
  context: RequestContext,
  response: ChatResponse,
  vector: Float32Array | undefined,
): Promise<CacheEntry | undefined> {
  const skip = (reason: string) => {
    context.trace.push({ stage: 'cache', detail: `not stored: ${reason}` });
    return undefined;
  };
  if (!plan.directives.write) return skip('no-store');
  if (context.doNotCache) return skip('no cascade tier accepted this answer');
  if (response.choices.length === 0 || response.choices.some((choice) => !choice.finish_reason)) return skip('incomplete answer');
  // A cut-off, filtered or empty answer is a bad moment of the upstream, not an answer worth replaying
  // for a TTL at $0: the next identical request should get its own chance.
  const unfit = response.choices.find((choice) => UNCACHEABLE_FINISH.has(choice.finish_reason ?? '') || isEmpty(choice.message));
  if (unfit) return skip(isEmpty(unfit.message) ? 'empty answer' : `finish_reason ${unfit.finish_reason}`);
  const usage = context.usage ?? (response.usage ? usageFromOpenAI(response.usage) : undefined);
  if (!usage || !context.served) return skip('no usage or served model recorded');
  const personal = personalDataReason(exchangeTexts(request, response), {
    emails: runtime.config.personal_data.emails,
    phoneNumbers: runtime.config.personal_data.phone_numbers,
    cardNumbers: runtime.config.personal_data.card_numbers,
    userId: runtime.config.personal_data.user_id,
  });
  if (personal) return skip(`personal data (${personal})`);
  const now = runtime.now();
  const { model, provider, upstreamModel, simulated } = context.served;
  const entry: CacheEntry = {
    version: 1,
    createdAt: now,
    expiresAt: now + plan.policy.ttlMs,
    response,
    usage,
    served: { model, provider, upstreamModel, simulated },
    baselineModel: context.baseline?.name,
    ...(context.task !== undefined ? { task: context.task } : {}),
    question: plan.semantic?.question,
  };
  const encoded = encodeEntry(entry, runtime.config.max_entry_bytes);
  if ('problem' in encoded) return skip(encoded.problem);
  try {
    await runtime.store.set(plan.key, encoded.value, { ttlMs: plan.policy.ttlMs });
  } catch (error) {
    runtime.logger?.warn({ key: plan.key, err: error }, 'cache store write failed');
    return entry;
  }
  if (plan.semantic && runtime.semantic) {
    const { namespace, question } = plan.semantic;
    await chargeScope.run(context, () => runtime.semantic!.add({ namespace, question, entryKey: plan.key, vector }));
  }
  context.trace.push({ stage: 'cache', detail: 'stored', data: { key: plan.key, ttlMs: plan.policy.ttlMs } });
  return entry;
}

function serve(
  runtime: CacheRuntime,
  plan: CachingPlan,
  context: RequestContext,
  entry: CacheEntry,
  status: 'hit' | 'semantic-hit',
  similarity?: number,
  why?: string,
): ChatOutcome {
  context.cacheStatus = status;
  context.usage = { ...entry.usage };
  context.served = { ...entry.served, price: runtime.servedPrice(entry.served) };
  context.baseline ??= runtime.models.get(entry.baselineModel ?? entry.served.model);
  if (similarity !== undefined) context.headers['x-frugal-cache-similarity'] = similarity.toFixed(4);
  // The route stage never runs for a hit; the answer still came through the route the client asked for.
  if (context.route !== undefined) {
    context.headers['x-frugal-route'] = context.route;
    if (entry.task !== undefined) {
      context.task = entry.task;
      context.headers['x-frugal-task'] = entry.task;
    }
  }
  context.trace.push({ stage: 'cache', detail: why ?? status, data: { key: status === 'hit' ? plan.key : undefined, similarity, matchedQuestion: status === 'semantic-hit' ? entry.question : undefined } });
  runtime.stats.record(context.tenant, plan.model, status);
  const response = replayResponse(entry, context, runtime.now());
  if (!context.stream) return { kind: 'response', response };
  const chunks = responseToChunks(response, { id: response.id, created: response.created ?? 0 });
  return { kind: 'stream', stream: replay(chunks) };
}

async function* replay(chunks: ChatChunk[]): AsyncGenerator<ChatChunk> {
  for (const chunk of chunks) yield chunk;
}

function exchangeTexts(request: ChatRequest, response: ChatResponse) {
  const isPublic = (role: string) => role === 'system' || role === 'developer';
  const texts = { public: [] as string[], private: [] as string[], user: request.user };
  for (const message of request.messages) {
    const text = messageText(message.content);
    (isPublic(message.role) ? texts.public : texts.private).push(text);
    for (const call of message.tool_calls ?? []) texts.private.push(call.function.arguments);
  }
  for (const choice of response.choices) {
    texts.private.push(choice.message.content ?? '');
    for (const call of choice.message.tool_calls ?? []) texts.private.push(call.function.arguments);
  }
  return texts;
}
