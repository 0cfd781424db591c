import { o200k } from '../../tokens/o200k.ts';
import { z } from 'zod';
import { chatMessageSchema, messageText } from '../../protocol/openai/chat-schema.ts';
import type { Nano } from '../../pricing/money.ts';
import { usdToNano } from '../../pricing/money.ts';
import { costOf, type PriceBook } from '../../pricing/price-book.ts';

/**
 * The outcomes format (JSONL), one prompt per line:
 * `{"prompt": "…" | [messages], "outcomes": {"<model>": {"score": 0..1 or 1..10, "cost": USD?, "response": "…"?}}}`.
 * Optional extensions: `input_tokens` / `output_tokens` per outcome, used for the cost when `cost` is
 * absent (else the prompt and response are counted with the o200k tokenizer).
 */
export const modelOutcomeSchema = z.looseObject({
  score: z.number().min(0).max(10),
  cost: z.number().nonnegative().optional(),
  response: z.string().optional(),
  input_tokens: z.number().int().nonnegative().optional(),
  output_tokens: z.number().int().nonnegative().optional(),
});
export type ModelOutcome = z.infer<typeof modelOutcomeSchema>;

export const outcomesLineSchema = z.looseObject({
  prompt: z.union([z.string(), z.array(chatMessageSchema).min(1)]),
  outcomes: z.record(z.string(), modelOutcomeSchema),
});
/** One line of an outcomes file. */
export type OutcomesLine = z.infer<typeof outcomesLineSchema>;

/** Parses JSONL text or lines; an error names the line number and the bad field. */
export function parseOutcomes(input: string | readonly string[]): OutcomesLine[] {
  const lines = typeof input === 'string' ? input.split('\n') : input;
  const parsed: OutcomesLine[] = [];
  lines.forEach((line, index) => {
    if (line.trim()) parsed.push(parseJsonLine(outcomesLineSchema, line, `outcomes line ${index + 1}`));
  });
  return parsed;
}

/** One JSONL line checked against `schema`; the error starts with `where` and names the bad field. */
export function parseJsonLine<T>(schema: z.ZodType<T>, line: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where}: not JSON (${(error as Error).message})`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${where}: ${issue.path.join('.') || 'line'}: ${issue.message}`);
  }
  return result.data;
}

/** The prompt's text as the router sees it (all user and system turns). */
export function promptText(prompt: OutcomesLine['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  return prompt
    .filter((message) => message.role === 'user' || message.role === 'system')
    .map((message) => messageText(message.content))
    .join('\n');
}

/** Score scale of a file: any score above 1 means judge scores on 1..10, else 0..1. */
export function detectScoreScale(lines: readonly OutcomesLine[]): '0-1' | '1-10' {
  return lines.some((line) => Object.values(line.outcomes).some((outcome) => outcome.score > 1)) ? '1-10' : '0-1';
}

/** A score mapped onto 0..1 so that quality ratios and "as good as" compare like with like. */
export function normalizeScore(score: number, scale: '0-1' | '1-10'): number {
  return scale === '1-10' ? Math.min(1, Math.max(0, (score - 1) / 9)) : score;
}

/** Models present in every line (the ones a router can choose between on this file). */
export function commonModels(lines: readonly OutcomesLine[]): string[] {
  if (lines.length === 0) return [];
  return Object.keys(lines[0].outcomes).filter((model) => lines.every((line) => model in line.outcomes));
}

/**
 * Cost of `model`'s outcome on a line in nano-dollars: the stated USD cost, else tokens × the price
 * book's price. Throws when neither is known, naming the model.
 */
export function outcomeCostNano(line: OutcomesLine, model: string, priceBook: PriceBook | undefined): Nano {
  const outcome = line.outcomes[model];
  if (!outcome) throw new Error(`no outcome for model ${model}`);
  if (outcome.cost !== undefined) return usdToNano(outcome.cost);
  const price = priceBook?.lookup(model);
  if (!price) throw new Error(`no cost for model ${model}: give "cost" in the outcomes or a price for it in the price book`);
  const inputTokens = outcome.input_tokens ?? o200k().countTokens(promptText(line.prompt));
  const outputTokens = outcome.output_tokens ?? o200k().countTokens(outcome.response ?? '');
  return costOf(price, { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, estimated: true });
}
