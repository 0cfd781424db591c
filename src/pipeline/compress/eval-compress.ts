import { z } from 'zod';
import { compressText, type ExtractiveOptions } from './extractive-compressor.ts';

/**
 * Measures extractive compression on a user's own QA file (`frugal eval compress --qa FILE`): how
 * much smaller the context gets and how often a gold answer survives it.
 */

/** One JSONL line of a QA file. */
export const qaLineSchema = z.object({
  context: z.string(),
  question: z.string().min(1, 'question must not be empty'),
  answers: z.array(z.string().min(1)).min(1, 'answers must hold at least one gold answer'),
});
export type QaLine = z.infer<typeof qaLineSchema>;

/** Figures of one evaluation run. */
export interface CompressEvaluation {
  /** Rows evaluated (skipped lines excluded). */
  rows: number;
  /** Context tokens before ÷ after, summed over rows (1 when nothing was evaluated). */
  ratio: number;
  /** Share of rows where a gold answer (case-insensitive) is still in the compressed context. */
  retention: number;
  /** Context megabytes (UTF-8, 10^6 bytes) compressed per second of compression time. */
  mb_per_s: number;
  tokens_before: number;
  tokens_after: number;
  /** Lines that were blank-free but not valid rows, with their 1-based line number. */
  skipped: Array<{ line: number; error: string }>;
}

/** Evaluates compression over JSONL lines; blank lines are ignored, bad lines are reported, not fatal. */
export async function evalCompress(
  lines: AsyncIterable<string> | Iterable<string>,
  options: ExtractiveOptions = {},
): Promise<CompressEvaluation> {
  let rows = 0;
  let retained = 0;
  let before = 0;
  let after = 0;
  let bytes = 0;
  let milliseconds = 0;
  const skipped: CompressEvaluation['skipped'] = [];
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    if (raw.trim() === '') continue;
    const row = parseLine(raw);
    if ('error' in row) {
      skipped.push({ line: lineNumber, error: row.error });
      continue;
    }
    const started = performance.now();
    const result = compressText(row.value.context, row.value.question, options);
    milliseconds += performance.now() - started;
    bytes += Buffer.byteLength(row.value.context);
    rows++;
    before += result.before;
    after += result.after;
    if (answerSurvives(result.text, row.value.answers)) retained++;
  }
  return {
    rows,
    ratio: after > 0 ? before / after : before > 0 ? Infinity : 1,
    retention: rows > 0 ? retained / rows : 0,
    mb_per_s: milliseconds > 0 ? bytes / 1e6 / (milliseconds / 1000) : 0,
    tokens_before: before,
    tokens_after: after,
    skipped,
  };
}

/** True when any answer occurs in `text`, ignoring case. */
export function answerSurvives(text: string, answers: readonly string[]): boolean {
  const haystack = text.toLowerCase();
  return answers.some((answer) => haystack.includes(answer.toLowerCase()));
}

function parseLine(raw: string): { value: QaLine } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = qaLineSchema.safeParse(json);
  if (!parsed.success) {
    return { error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'line'}: ${issue.message}`).join('; ') };
  }
  return { value: parsed.data };
}
