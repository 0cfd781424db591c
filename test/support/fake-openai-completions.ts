import { z } from 'zod';
import type { Exchange } from './fake-http-server.ts';
import { estimateTokens, playTransport, sendAnswer, splitIntoPieces, writeEvents } from './fake-reply-defaults.ts';
import { openAIFinishReason, type ReplyScript } from './fake-upstream-script.ts';
import { openAIErrorBody } from './fake-openai-chat.ts';

/** The fields of a legacy completions body the fake reads (one text prompt, as Frugal sends it). */
const fakeCompletionsBodySchema = z.looseObject({
  model: z.string().min(1),
  prompt: z.string(),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish(),
  logprobs: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});

/**
 * POST /v1/completions as vLLM or OpenAI's instruct models answer it: the default text is
 * `Fake completion from <model>: <prompt>` (after the prompt itself with `echo`, before `[suffix]`),
 * usage ≈ characters / 4 unless scripted, completions-shaped logprobs when asked. Streams honour
 * `streamError`, `dropAfterChunks` and the other transport fields like chat does.
 */
export async function answerCompletions(exchange: Exchange, script: ReplyScript, sequence: number): Promise<void> {
  const parsed = fakeCompletionsBodySchema.safeParse(exchange.recorded.body);
  if (!parsed.success) {
    exchange.sendJson(400, openAIErrorBody({ status: 400, message: `Invalid completions body: ${parsed.error.message}` }));
    return;
  }
  const body = parsed.data;
  const reply = script.next(exchange.recorded.body);
  if (!(await playTransport(exchange, reply, openAIErrorBody))) return;
  const model = reply.model ?? body.model;
  const generated = reply.text ?? `Fake completion from ${model}: ${body.prompt.slice(0, 80)}`;
  const text = (body.echo ? body.prompt : '') + generated + (body.suffix ? `[${body.suffix}]` : '');
  const pieces = splitIntoPieces(text);
  const usage = {
    prompt_tokens: reply.usage?.promptTokens ?? estimateTokens(body.prompt),
    completion_tokens: reply.usage?.completionTokens ?? estimateTokens(generated),
  };
  const usageBody = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
  const logprobsOf = (from: number, to: number) => {
    if (body.logprobs == null) return null;
    const offsets: number[] = [];
    let offset = pieces.slice(0, from).join('').length;
    for (const piece of pieces.slice(from, to)) {
      offsets.push(offset);
      offset += piece.length;
    }
    const tokens = pieces.slice(from, to);
    const values = tokens.map((_, index) => -0.01 * (((from + index) % 7) + 1));
    return {
      tokens,
      token_logprobs: values,
      top_logprobs: tokens.map((token, index) => (body.logprobs! > 0 ? { [token]: values[index] } : null)),
      text_offset: offsets,
    };
  };
  const finishReason = openAIFinishReason(reply);
  const base = { id: `cmpl-fake-${sequence}`, object: 'text_completion', created: 1_700_000_000 + sequence, model };
  if (body.stream !== true) {
    const answer = { ...base, choices: [{ text, index: 0, logprobs: logprobsOf(0, pieces.length), finish_reason: finishReason }], usage: reply.omitUsage ? undefined : usageBody };
    sendAnswer(exchange, reply, answer, { 'x-request-id': `req_fake_${sequence}` });
    return;
  }
  const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
  let events = pieces.map((piece, index) =>
    event({ ...base, choices: [{ text: piece, index: 0, logprobs: logprobsOf(index, index + 1), finish_reason: null }] }),
  );
  events.push(event({ ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: finishReason }] }));
  if (body.stream_options?.include_usage === true && !reply.omitUsage) events.push(event({ ...base, choices: [], usage: usageBody }));
  events.push('data: [DONE]\n\n');
  if (reply.streamError) {
    const { afterChunks, status = 500, message } = reply.streamError;
    events = [...events.slice(0, afterChunks), event(openAIErrorBody({ status, message }))];
  }
  await writeEvents(exchange, reply, events);
}
