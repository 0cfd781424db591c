import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import { errors } from '../../errors/codes.ts';
import { FrugalError } from '../../errors/frugal-error.ts';
import { costOf } from '../../pricing/price-book.ts';
import { usageFromOpenAI, type TokenUsage } from '../../pricing/usage.ts';
import { countChatTokens, countTextTokens } from '../../tokens/count-tokens.ts';
import { UpstreamError } from '../../providers/upstream-error.ts';
import type { Attempt, ChatHandler, ChatOutcome, Deployment, RequestContext } from '../types.ts';
import type { BreakerRegistry } from './circuit-breaker.ts';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  maxRetryAfterMs: number;
}

export interface CallHandlerOptions {
  retry: RetryPolicy;
  breakers: BreakerRegistry;
  random?: () => number;
  /** Observes every finished attempt (metrics). */
  onAttempt?: (attempt: Attempt) => void;
}

/**
 * The terminal handler: calls `context.target` through its deployments in order. Retryable failures
 * (408/409/429/5xx, timeouts, connection errors) are retried with capped exponential backoff and
 * full jitter, honouring retry-after; a breaker per deployment skips one that keeps failing; then the
 * next deployment. A stream is only returned once its first chunk has arrived, so everything before
 * the first byte can still be retried and nothing after it is.
 */
export function createCallHandler(options: CallHandlerOptions): ChatHandler {
  const random = options.random ?? Math.random;
  return async function call(request, context) {
    const target = context.target;
    if (!target) throw errors.internal(new Error('call stage reached without a target model'));
    const failures: UpstreamError[] = [];
    let skippedByBreaker = 0;
    for (const deployment of target.deployments) {
      const breaker = options.breakers.get(`${deployment.provider.name}/${deployment.upstreamModel}`);
      for (let retry = 0; retry <= options.retry.maxRetries; retry++) {
        // A client already gone (it left while the request waited: a backoff, an earlier stage's own
        // call, a micro-batch window) gets no upstream call, and takes no half-open breaker probe:
        // checked before every attempt — the first, each retry, the next deployment.
        if (context.signal.aborted) throw errors.clientClosed();
        if (!breaker.tryAcquire()) {
          skippedByBreaker += 1;
          context.trace.push({ stage: 'call', detail: `breaker open for ${deployment.provider.name}/${deployment.upstreamModel}, skipped` });
          break;
        }
        const started = performance.now();
        try {
          const outcome = await attemptOnce(request, context, deployment, target.name, options, started);
          breaker.recordSuccess();
          return outcome;
        } catch (error) {
          const failure = toUpstreamError(error);
          const attempt = recordFailure(context, deployment, target.name, failure, started);
          options.onAttempt?.(attempt);
          if (failure.kind === 'aborted' || context.signal.aborted) {
            breaker.release();
            throw errors.clientClosed();
          }
          failures.push(failure);
          if (failure.retryable) breaker.recordFailure();
          else breaker.release();
          if (!failure.retryable) {
            // A 4xx other than auth problems is the request's fault: every deployment would refuse it.
            if (failure.status !== undefined && failure.status < 500 && failure.status !== 401 && failure.status !== 403 && failure.status !== 404) {
              throw upstreamRejected(failure);
            }
            break;
          }
          if (retry === options.retry.maxRetries) break;
          if (failure.retryAfterMs !== undefined && failure.retryAfterMs > options.retry.maxRetryAfterMs) break;
          const backoff = Math.min(options.retry.maxDelayMs, options.retry.baseDelayMs * 2 ** retry) * random();
          const delay = failure.retryAfterMs ?? backoff;
          try {
            await sleep(delay, undefined, { signal: context.signal });
          } catch {
            throw errors.clientClosed();
          }
        }
      }
    }
    throw allFailed(failures, skippedByBreaker, context.attempts);
  };
}

async function attemptOnce(
  request: ChatRequest,
  context: RequestContext,
  deployment: Deployment,
  modelName: string,
  options: CallHandlerOptions,
  started: number,
): Promise<ChatOutcome> {
  const upstreamRequest: ChatRequest = { ...request, model: deployment.upstreamModel };
  const callOptions = { signal: context.signal, timeoutMs: options.retry.timeoutMs, nativeAnthropic: context.nativeAnthropic, nativeCompletions: context.nativeCompletions };
  if (!context.stream) {
    const result = await deployment.provider.chat(upstreamRequest, callOptions);
    const response = result.response;
    const usage = response.usage ? usageFromOpenAI(response.usage) : estimateUsage(request, response);
    const attempt = recordSuccess(context, deployment, modelName, usage, started);
    options.onAttempt?.(attempt);
    response.model = modelName;
    if (!response.usage) response.usage = { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
    if (result.native) context.nativeResponse = result.native;
    return { kind: 'response', response };
  }
  const stream = await deployment.provider.stream(upstreamRequest, callOptions);
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  // The answer's headers leave with its first byte: they must already name who serves it
  // (x-frugal-model, -provider, -simulated); the stream's end sets the usage and the cost.
  context.served = { model: modelName, provider: deployment.provider.name, upstreamModel: deployment.upstreamModel, simulated: deployment.provider.simulated, price: deployment.price };
  return { kind: 'stream', stream: meteredStream(first, iterator, request, context, deployment, modelName, options, started) };
}

async function* meteredStream(
  first: IteratorResult<ChatChunk>,
  iterator: AsyncIterator<ChatChunk>,
  request: ChatRequest,
  context: RequestContext,
  deployment: Deployment,
  modelName: string,
  options: CallHandlerOptions,
  started: number,
): AsyncGenerator<ChatChunk> {
  let usage: TokenUsage | undefined;
  let text = '';
  let finished = false;
  let recorded = false;
  let current = first;
  try {
    while (!current.done) {
      const chunk = current.value;
      chunk.model = modelName;
      if (chunk.usage) usage = usageFromOpenAI(chunk.usage);
      for (const choice of chunk.choices) {
        if (typeof choice.delta.content === 'string') text += choice.delta.content;
      }
      yield chunk;
      current = await iterator.next();
    }
    finished = true;
    const reported = usage !== undefined;
    usage ??= estimateUsage(request, { content: text });
    // Recorded before the estimated usage chunk below: a consumer that stops at that chunk (client gone)
    // resumes this generator only into `finally`, and the whole answer must still be charged.
    recorded = true;
    const attempt = recordSuccess(context, deployment, modelName, usage, started);
    options.onAttempt?.(attempt);
    if (!reported) {
      // The client still gets a usage chunk it asked for, marked by Frugal's estimate.
      yield { id: `chatcmpl-${context.requestId}`, object: 'chat.completion.chunk', model: modelName, choices: [], usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens } };
    }
  } catch (error) {
    recorded = true;
    const failure = toUpstreamError(error);
    const partial = usage ?? estimateUsage(request, { content: text });
    // The ledger's token columns show what the broken stream consumed (no other attempt follows it).
    context.usage ??= partial;
    const attempt = recordFailure(context, deployment, modelName, failure, started, partial);
    options.onAttempt?.(attempt);
    throw failure.kind === 'aborted' ? errors.clientClosed() : new FrugalError('upstream_stream_failed', 502, 'upstream_error', `The upstream stream failed after it started: ${failure.message}`);
  } finally {
    if (!finished) {
      // The consumer stopped early (client gone) or the stream failed: stop the upstream too.
      await iterator.return?.().catch(() => undefined);
      if (!recorded) {
        // The upstream's own usage, when it already arrived, is the exact charge; else an estimate.
        const consumed = usage ?? estimateUsage(request, { content: text });
        context.usage ??= consumed;
        const attempt = recordFailure(context, deployment, modelName, new UpstreamError('aborted', 'the client went away'), started, consumed);
        options.onAttempt?.(attempt);
      }
    }
  }
}

function estimateUsage(request: ChatRequest, answer: ChatResponse | { content: string }): TokenUsage {
  const output = 'choices' in answer
    ? answer.choices.reduce((sum, choice) => sum + countTextTokens(choice.message.content ?? JSON.stringify(choice.message.tool_calls ?? '')), 0)
    : countTextTokens(answer.content);
  return { inputTokens: countChatTokens(request), cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: output, estimated: true };
}

function recordSuccess(context: RequestContext, deployment: Deployment, modelName: string, usage: TokenUsage, started: number): Attempt {
  const attempt: Attempt = {
    provider: deployment.provider.name,
    model: modelName,
    upstreamModel: deployment.upstreamModel,
    purpose: 'answer',
    status: 'ok',
    latencyMs: Math.round(performance.now() - started),
    usage,
    costNano: deployment.price ? costOf(deployment.price, usage) : 0,
  };
  if (context.tier !== undefined) attempt.tier = context.tier;
  context.attempts.push(attempt);
  context.served = { model: modelName, provider: deployment.provider.name, upstreamModel: deployment.upstreamModel, simulated: deployment.provider.simulated, price: deployment.price };
  context.usage = usage;
  return attempt;
}

function recordFailure(
  context: RequestContext,
  deployment: Deployment,
  modelName: string,
  failure: UpstreamError,
  started: number,
  partialUsage?: TokenUsage,
): Attempt {
  // A stream that failed or was abandoned after output began is charged for what the provider produced (estimated).
  const costNano = partialUsage && deployment.price ? costOf(deployment.price, partialUsage) : 0;
  const attempt: Attempt = {
    provider: deployment.provider.name,
    model: modelName,
    upstreamModel: deployment.upstreamModel,
    purpose: 'answer',
    status: failure.kind === 'aborted' ? 'aborted' : 'error',
    error: failure.message,
    latencyMs: Math.round(performance.now() - started),
    costNano,
  };
  if (failure.status !== undefined) attempt.httpStatus = failure.status;
  if (partialUsage) attempt.usage = partialUsage;
  if (context.tier !== undefined) attempt.tier = context.tier;
  context.attempts.push(attempt);
  return attempt;
}

function toUpstreamError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof FrugalError) return new UpstreamError('protocol', error.message, { cause: error });
  return new UpstreamError('connection', (error as Error)?.message ?? 'unknown upstream failure', { cause: error });
}

/** An upstream's refusal of the request itself (4xx), passed to the client with its status. */
export function upstreamRejected(failure: UpstreamError): FrugalError {
  const status = failure.status ?? 400;
  return new FrugalError('upstream_rejected', status, status === 429 ? 'rate_limit_error' : 'invalid_request_error', failure.message);
}

function allFailed(failures: UpstreamError[], skippedByBreaker: number, attempts: Attempt[]): FrugalError {
  const summary = attempts.map((attempt) => ({
    provider: attempt.provider,
    model: attempt.upstreamModel,
    status: attempt.httpStatus ?? null,
    error: attempt.error ?? null,
    latency_ms: attempt.latencyMs,
  }));
  if (failures.length === 0 && skippedByBreaker > 0) {
    return errors.upstreamFailed(503, 'Every deployment of this model is unavailable (circuit breakers open); try again shortly.', summary);
  }
  const allTimeouts = failures.length > 0 && failures.every((failure) => failure.kind === 'timeout');
  if (allTimeouts) return errors.upstreamFailed(504, `Every upstream timed out after ${failures.length} attempt(s).`, summary);
  const overloaded = failures.length > 0 && failures.every((failure) => failure.status === 429 || failure.status === 503);
  const last = failures.at(-1)?.message ?? 'no deployment was tried';
  // Every upstream said "later": the soonest of the waits the upstreams asked for goes to the client, so its
  // SDK backs off for that long instead of guessing (a wait longer than retry.max_retry_after_ms is why we stopped).
  const waits = failures.map((failure) => failure.retryAfterMs).filter((wait): wait is number => wait !== undefined && wait > 0);
  const retryAfter = overloaded && waits.length > 0 ? Math.max(1, Math.ceil(Math.min(...waits) / 1000)) : undefined;
  return errors.upstreamFailed(overloaded ? 503 : 502, `All upstream attempts failed (${failures.length}); last: ${last}`, summary, retryAfter);
}
