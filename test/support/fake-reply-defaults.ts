import { z } from 'zod';
import type { Exchange } from './fake-http-server.ts';
import type { RequestBody, ScriptedError, ScriptedReply, ScriptedToolCall } from './fake-upstream-script.ts';

/** Token counts after defaults were filled in; see ScriptedUsage for how each provider reports them. */
export interface ResolvedUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
}

/** About four characters a token, at least one: plausible and deterministic. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

const partSchema = z.looseObject({ text: z.string().optional(), content: z.unknown().optional() });
const messageSchema = z.looseObject({ role: z.string().optional(), content: z.unknown().optional() });
const conversationSchema = z.looseObject({
  messages: z.array(messageSchema).optional(),
  system: z.unknown().optional(),
});

/** Text of a content value in either provider's shape (string, or parts carrying `text`). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const parsed = partSchema.safeParse(part);
      if (!parsed.success) return '';
      return parsed.data.text ?? contentText(parsed.data.content);
    })
    .filter((text) => text !== '')
    .join('\n');
}

/** All prompt text of an OpenAI or Anthropic body: system plus every message. */
export function promptText(body: RequestBody): string {
  const parsed = conversationSchema.safeParse(body);
  if (!parsed.success) return '';
  const messages = parsed.data.messages ?? [];
  return [contentText(parsed.data.system), ...messages.map((message) => contentText(message.content))].join('\n');
}

/** The deterministic default answer: names the model and echoes the last user message. */
export function defaultAnswerText(body: RequestBody, model: string): string {
  const parsed = conversationSchema.safeParse(body);
  const messages = parsed.success ? (parsed.data.messages ?? []) : [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const echoed = contentText(lastUser?.content).slice(0, 80);
  return `Fake answer from ${model}: ${echoed}`;
}

/** The answer text a reply sends: scripted, or the default unless the reply only calls tools. */
export function answerText(reply: ScriptedReply, body: RequestBody, model: string): string | undefined {
  if (reply.text !== undefined) return reply.text;
  if (reply.toolCalls && reply.toolCalls.length > 0) return undefined;
  return defaultAnswerText(body, model);
}

export function toolArguments(call: ScriptedToolCall): string {
  if (call.arguments === undefined) return '{}';
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

/** Usage numbers for a reply: scripted ones win, the rest are estimated from the texts. */
export function resolveUsage(reply: ScriptedReply, body: RequestBody, completion: string): ResolvedUsage {
  const scripted = reply.usage ?? {};
  const toolText = (reply.toolCalls ?? []).map((call) => call.name + toolArguments(call)).join('');
  const messageCount = conversationSchema.safeParse(body).data?.messages?.length ?? 1;
  return {
    promptTokens: scripted.promptTokens ?? estimateTokens(promptText(body)) + 3 * messageCount,
    completionTokens: scripted.completionTokens ?? estimateTokens(completion + toolText),
    cachedTokens: scripted.cachedTokens ?? scripted.cacheReadTokens ?? 0,
    cacheCreationTokens: scripted.cacheCreationTokens ?? 0,
    cacheReadTokens: scripted.cacheReadTokens ?? scripted.cachedTokens ?? 0,
  };
}

/** Splits text into word-sized stream pieces that join back to the original. */
export function splitIntoPieces(text: string): string[] {
  const pieces: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const trailing = text.slice(pieces.join('').length);
  if (trailing !== '') pieces.push(trailing);
  return pieces;
}

/** Splits a string in two halves (how tool-call argument streaming is imitated). */
export function splitInHalves(text: string): string[] {
  if (text.length < 2) return [text];
  const middle = Math.floor(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)];
}

/** Headers for a scripted error: retry hints plus any extra headers. */
export function errorHeaders(error: ScriptedError): Record<string, string> {
  const headers: Record<string, string> = { ...error.headers };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  if (error.retryAfterMs !== undefined) headers['retry-after-ms'] = String(error.retryAfterMs);
  return headers;
}

/**
 * Plays the transport part of a reply (reset, hang, latency, error). Returns true when the caller
 * should go on and send the answer, false when the exchange is already over.
 */
export async function playTransport(
  exchange: Exchange,
  reply: ScriptedReply,
  errorBody: (error: ScriptedError) => unknown,
): Promise<boolean> {
  if (reply.reset) {
    exchange.destroy();
    return false;
  }
  if (reply.hang) {
    await exchange.waitForClose();
    return false;
  }
  if (!(await exchange.sleep(reply.latencyMs ?? 0))) return false;
  if (reply.error) {
    exchange.sendJson(reply.error.status, reply.error.body ?? errorBody(reply.error), errorHeaders(reply.error));
    return false;
  }
  return true;
}

/** Writes SSE events one by one, honouring chunk delay, drop and stall. Returns false if cut short. */
export async function writeEvents(exchange: Exchange, reply: ScriptedReply, events: readonly string[]): Promise<boolean> {
  const response = exchange.response;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
  for (const [index, event] of events.entries()) {
    if (reply.dropAfterChunks !== undefined && index >= reply.dropAfterChunks) {
      exchange.destroy();
      return false;
    }
    if (reply.stallAfterChunks !== undefined && index >= reply.stallAfterChunks) {
      await exchange.waitForClose();
      return false;
    }
    if (index > 0 && !(await exchange.sleep(reply.chunkDelayMs ?? 0))) return false;
    if (response.destroyed) return false;
    // Wait until the event is handed to the socket, so a later drop cuts after it, not before.
    await new Promise<void>((resolve) => response.write(event, () => resolve()));
  }
  response.end();
  return true;
}

/** Sends a non-streamed JSON answer, or half of it before destroying the socket when a drop is scripted. */
export function sendAnswer(exchange: Exchange, reply: ScriptedReply, body: unknown, headers: Record<string, string>): void {
  if (reply.dropAfterChunks === undefined) {
    exchange.sendJson(200, body, headers);
    return;
  }
  const text = JSON.stringify(body);
  exchange.response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  exchange.response.write(text.slice(0, Math.floor(text.length / 2)), () => exchange.destroy());
}
