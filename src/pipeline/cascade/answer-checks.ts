import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import type { ChatRequest, ChatResponse } from '../../protocol/openai/chat-schema.ts';
import type { ChecksConfig } from '../route/route-config.ts';
import { arithmeticMismatches } from './math-check.ts';
import { checkInstructions } from './instruction-check.ts';
import { messageText } from '../../protocol/openai/chat-schema.ts';

/** What the checks concluded about one answer. */
export interface CheckVerdict {
  /** False when a hard check failed (empty, refusal, truncated, invalid JSON or tool arguments). */
  pass: boolean;
  /** 0..1 confidence: 1 unless logprobs (or a judge / user check, merged later) say otherwise. */
  score: number;
  /** Why it failed or scored low, for the trace. */
  reasons: string[];
}

/**
 * Refusals and non-answers. Matched only against the start of an answer: a long answer that says
 * "I don't know X, but…" halfway through is usually still an answer.
 */
const refusalPatterns: RegExp[] = [
  /^(i'?m|i am) sorry,?\s+(but\s+)?(i|as an ai)\b[^.]{0,40}\b(can(no|')?t|unable|not able|won'?t)\b/i,
  /^(sorry|unfortunately),?\s+(but\s+)?i\s+(can(no|')?t|am unable|am not able|won'?t)\b/i,
  /^i\s+(can(no|')?t|am unable to|am not able to|won'?t)\s+(help|assist|provide|comply|answer|do that|fulfil+)/i,
  /^as an ai( language model)?,?\s+i\s+(can(no|')?t|do not|don'?t|am unable)/i,
  /^i\s+(do not|don'?t)\s+know\b/i,
  /^i'?m\s+not\s+sure\b/i,
  /^i\s+(do not|don'?t)\s+have\s+(enough\s+)?(information|context|access)\b/i,
  /^(there is|there's) no way (for me )?to know\b/i,
];

/** True when the text opens like a refusal or an "I don't know". */
export function looksLikeRefusal(text: string): boolean {
  const opening = text.trim().slice(0, 300);
  return refusalPatterns.some((pattern) => pattern.test(opening));
}

const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

/** Compiles a JSON schema once per distinct schema text (requests repeat the same schemas). */
function validatorFor(schema: Record<string, unknown>): ValidateFunction | undefined {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch {
      // A schema ajv cannot compile is the provider's problem to enforce, not a reason to escalate.
      return undefined;
    }
    if (validators.size > 500) validators.delete(validators.keys().next().value!);
    validators.set(key, validate);
  }
  return validate;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const logprobsSchema = z.looseObject({ content: z.array(z.looseObject({ logprob: z.number() })).nullable().optional() });

/** Geometric-mean token probability from OpenAI-style logprobs, or undefined when none were returned. */
export function logprobConfidence(logprobs: unknown): number | undefined {
  const parsed = logprobsSchema.safeParse(logprobs);
  const tokens = parsed.success ? parsed.data.content : undefined;
  if (!tokens || tokens.length === 0) return undefined;
  const mean = tokens.reduce((sum, token) => sum + token.logprob, 0) / tokens.length;
  return Math.exp(mean);
}

/**
 * The built-in answer checks of a cascade tier. Every choice is checked (a request with `n > 1`
 * passes only when all choices do); the score is the lowest logprob confidence among them.
 */
export function checkAnswer(request: ChatRequest, response: ChatResponse, checks: ChecksConfig): CheckVerdict {
  const reasons: string[] = [];
  let score = 1;
  if (response.choices.length === 0) return { pass: false, score: 0, reasons: ['no choices'] };
  const instructionPrompt = checks.instructions ? lastUserText(request) : '';
  for (const choice of response.choices) {
    const message = choice.message;
    const text = message.content ?? '';
    const toolCalls = message.tool_calls ?? [];
    if (checks.truncated && choice.finish_reason === 'length') reasons.push('cut off (finish_reason: length)');
    if (toolCalls.length === 0 && text.trim().length < Math.max(checks.min_chars, 0)) {
      reasons.push(checks.min_chars <= 1 ? 'empty answer' : `shorter than ${checks.min_chars} characters`);
    }
    if (checks.refusal && ((message.refusal ?? '').trim() !== '' || looksLikeRefusal(text))) reasons.push('refusal or "I don\'t know"');
    if (checks.json && toolCalls.length === 0) reasons.push(...jsonProblems(request, text));
    if (checks.tool_arguments) reasons.push(...toolProblems(request, toolCalls));
    if (checks.math && toolCalls.length === 0) {
      const wrong = arithmeticMismatches(text);
      if (wrong.length > 0) reasons.push(`arithmetic does not add up: ${wrong[0].text} (is ${Number(wrong[0].computed.toPrecision(10))})${wrong.length > 1 ? ` and ${wrong.length - 1} more` : ''}`);
    }
    if (checks.instructions && toolCalls.length === 0 && instructionPrompt) {
      const { violated } = checkInstructions(instructionPrompt, text);
      if (violated.length > 0) reasons.push(`instruction not followed ("${violated[0].instruction}"): ${violated[0].detail}${violated.length > 1 ? ` and ${violated.length - 1} more` : ''}`);
    }
    if (checks.logprobs) {
      const confidence = logprobConfidence(choice.logprobs);
      if (confidence !== undefined) score = Math.min(score, confidence);
    }
  }
  return { pass: reasons.length === 0, score: reasons.length === 0 ? score : 0, reasons };
}

/** The last user message's text: the instructions a tier's answer is checked against. */
function lastUserText(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return last ? messageText(last.content) : '';
}

function jsonProblems(request: ChatRequest, text: string): string[] {
  const format = request.response_format;
  if (!format || format.type === 'text') return [];
  const parsed = parseJson(text);
  if (!parsed.ok) return [`not valid JSON (response_format ${format.type})`];
  if (format.type === 'json_object') {
    return parsed.value !== null && typeof parsed.value === 'object' && !Array.isArray(parsed.value) ? [] : ['JSON is not an object'];
  }
  const schema = format.type === 'json_schema' ? (format.json_schema as { schema?: Record<string, unknown> }).schema : undefined;
  if (!schema) return [];
  const validate = validatorFor(schema);
  if (validate && !validate(parsed.value)) return [`JSON does not match the schema: ${ajv.errorsText(validate.errors)}`];
  return [];
}

function toolProblems(request: ChatRequest, toolCalls: NonNullable<ChatResponse['choices'][number]['message']['tool_calls']>): string[] {
  const problems: string[] = [];
  for (const call of toolCalls) {
    const tool = request.tools?.find((candidate) => candidate.function.name === call.function.name);
    if (!tool) {
      problems.push(`call to an unknown tool '${call.function.name}'`);
      continue;
    }
    const parsed = parseJson(call.function.arguments || '{}');
    if (!parsed.ok) {
      problems.push(`tool '${call.function.name}': arguments are not valid JSON`);
      continue;
    }
    const schema = tool.function.parameters;
    const validate = schema ? validatorFor(schema) : undefined;
    if (validate && !validate(parsed.value)) problems.push(`tool '${call.function.name}': ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}
