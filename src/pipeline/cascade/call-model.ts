import type { ChatChunk, ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import type { Attempt, ChatHandler, ChatOutcome, ModelEntry, RequestContext } from '../types.ts';

/** A side call's answer and the attempts it made (already priced by the call handler). */
export interface SideCallResult {
  response: ChatResponse;
  attempts: Attempt[];
}

/**
 * Calls `model` through the rest of the pipeline (the call handler: retries, fallback, breakers,
 * pricing) on a private copy of the context, so that a judge or shadow call never changes what the
 * client is served. The attempts are returned relabelled with `purpose`; the caller decides which
 * ledger record they belong to. On failure the attempts are attached to the error as `attempts`.
 *
 * The client's native body (a /v1/messages request sent as is to an Anthropic upstream, a native
 * completions request) belongs to the client's own question: a side call with a prompt of its own (a
 * judge) must not carry it, or the upstream would be sent the client's body instead of that prompt.
 * `sameRequest` says the side call asks the client's own question (a shadow baseline) and may keep it.
 */
export async function callModel(
  next: ChatHandler,
  request: ChatRequest,
  parent: RequestContext,
  model: ModelEntry,
  purpose: Attempt['purpose'],
  signal: AbortSignal = parent.signal,
  options: { sameRequest?: boolean } = {},
): Promise<SideCallResult> {
  const context: RequestContext = {
    ...parent,
    nativeAnthropic: options.sameRequest ? parent.nativeAnthropic : undefined,
    nativeCompletions: options.sameRequest ? parent.nativeCompletions : undefined,
    target: model,
    stream: false,
    clientWantsUsage: false,
    signal,
    tier: undefined,
    attempts: [],
    trace: [],
    headers: {},
    extras: {},
    served: undefined,
    usage: undefined,
    savings: {},
  };
  const relabel = () => context.attempts.map((attempt) => ({ ...attempt, purpose }));
  try {
    const outcome = await next({ ...request, model: model.name, stream: false, stream_options: undefined }, context);
    return { response: await responseOf(outcome), attempts: relabel() };
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { attempts: relabel() });
  }
}

/** The attempts a failed side call made (see {@link callModel}). */
export function attemptsOfFailure(error: unknown): Attempt[] {
  const attempts = (error as { attempts?: unknown })?.attempts;
  return Array.isArray(attempts) ? (attempts as Attempt[]) : [];
}

/** A whole response from an outcome; a stream (a later stage that ignored `stream: false`) is collected. */
export async function responseOf(outcome: ChatOutcome): Promise<ChatResponse> {
  if (outcome.kind === 'response') return outcome.response;
  return collectStream(outcome.stream);
}

async function collectStream(stream: AsyncIterable<ChatChunk>): Promise<ChatResponse> {
  let id = '';
  let model = '';
  let content = '';
  let finishReason: string | null = null;
  let usage: ChatResponse['usage'];
  for await (const chunk of stream) {
    id ||= chunk.id;
    model ||= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (typeof choice.delta.content === 'string') content += choice.delta.content;
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  }
  return { id, object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }], usage };
}

/** The answer text of a response (first choice; tool calls as JSON when there is no text). */
export function answerText(response: ChatResponse): string {
  const message = response.choices[0]?.message;
  if (!message) return '';
  if (message.content) return message.content;
  return message.tool_calls ? JSON.stringify(message.tool_calls.map((call) => call.function)) : '';
}
