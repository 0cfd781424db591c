/**
 * Readers for the public data under ../shared/data used at train and benchmark time only. Nothing
 * read here is written into the repository: scripts keep only learned weights.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { countTokens } from 'gpt-tokenizer';
import type { OutcomesLine } from '../src/pipeline/route/outcomes.ts';

export const SHARED_DATA = path.resolve(import.meta.dirname, '../../shared/data');
export const STRONG_MODEL = 'gpt-4-1106-preview';
export const WEAK_MODEL = 'mixtral-8x7b';
const WEAK_COLUMN = 'mistralai/Mixtral-8x7B-Instruct-v0.1';

/** Fails with a clear message when the shared data folder is absent (users do not have it). */
export function requireData(relative: string): string {
  const full = path.join(SHARED_DATA, relative);
  if (!existsSync(full)) throw new Error(`${full} is absent: this script needs the shared benchmark data (see shared/data/README.md)`);
  return full;
}

/** RFC 4180 CSV (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') (field += '"'), index++;
      else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') row.push(field), (field = '');
    else if (character === '\n' || character === '\r') {
      if (character === '\r' && text[index + 1] === '\n') index++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += character;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

/** CSV rows as objects keyed by the header row. */
export function readCsvRecords(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  return rows.filter((row) => row.length === header.length).map((row) => Object.fromEntries(header.map((name, index) => [name, row[index]])));
}

export function readJsonLines(file: string): unknown[] {
  const raw = readFileSync(file);
  const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return text.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as unknown);
}

function contaminated(dataset: string): Set<string> {
  const lines = readJsonLines(requireData(`routellm/${dataset}/contaminated_prompts.jsonl`)) as { eval_prompt: string }[];
  return new Set(lines.map((line) => line.eval_prompt));
}

/** A RouteLLM data set converted to outcomes lines; `group` is the MMLU subject (not a feature). */
export interface RouteLlmSet {
  name: 'gsm8k' | 'mmlu' | 'mt_bench';
  lines: (OutcomesLine & { group?: string })[];
  dropped: number;
}

/** GSM8K: correctness of both models and both responses; contaminated prompts dropped. */
export function loadGsm8k(): RouteLlmSet {
  const drop = contaminated('gsm8k');
  const records = readCsvRecords(requireData('routellm/gsm8k/gsm8k_responses.csv'));
  const kept = records.filter((record) => !drop.has(record.prompt));
  return {
    name: 'gsm8k',
    dropped: records.length - kept.length,
    lines: kept.map((record) => ({
      prompt: record.prompt,
      outcomes: {
        [STRONG_MODEL]: { score: record[STRONG_MODEL] === 'True' ? 1 : 0, response: record[`${STRONG_MODEL}_response`] },
        [WEAK_MODEL]: { score: record[WEAK_COLUMN] === 'True' ? 1 : 0, response: record[`${WEAK_COLUMN}_response`] },
      },
    })),
  };
}

/**
 * MMLU: correctness only (no responses are published). RouteLLM generated the answer as a single
 * letter, so output tokens are taken as 1 per call for costs.
 */
export function loadMmlu(): RouteLlmSet {
  const drop = contaminated('mmlu');
  const folder = requireData('routellm/mmlu/responses');
  const lines: RouteLlmSet['lines'] = [];
  let dropped = 0;
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.csv')).sort()) {
    const subject = file.replace(/^mmlu_/, '').replace(/\.csv$/, '');
    for (const record of readCsvRecords(path.join(folder, file))) {
      if (drop.has(record.prompt)) {
        dropped++;
        continue;
      }
      lines.push({
        prompt: record.prompt,
        group: subject,
        outcomes: {
          [STRONG_MODEL]: { score: record[STRONG_MODEL] === 'True' ? 1 : 0, output_tokens: 1 },
          [WEAK_MODEL]: { score: record[WEAK_COLUMN] === 'True' ? 1 : 0, output_tokens: 1 },
        },
      });
    }
  }
  return { name: 'mmlu', lines, dropped };
}

interface Judgement {
  question_id: number;
  model: string;
  score: number;
  turn: number;
  user_prompt: string;
}

/**
 * MT-Bench: one line per question (both turns go to the routed model, routed on the first turn, as
 * RouteLLM does); the score is the mean GPT-4 judge score (1–10) of the two turns. The answer text is
 * cut out of the judge prompt so that output tokens can be counted; `response` is turn 1's answer,
 * all a cascade deciding on turn 1 has seen.
 */
export function loadMtBench(): RouteLlmSet {
  const drop = contaminated('mt_bench');
  const questions = readJsonLines(requireData('routellm/mt_bench/question.jsonl')) as { question_id: number; category: string; turns: string[] }[];
  const judgements = readJsonLines(requireData('routellm/mt_bench/judgements.jsonl')) as Judgement[];
  const kept = questions.filter((question) => !question.turns.some((turn) => drop.has(turn)));
  const modelName = (model: string): string => (model === STRONG_MODEL ? STRONG_MODEL : WEAK_MODEL);
  const lines: RouteLlmSet['lines'] = kept.map((question) => {
    const outcomes: OutcomesLine['outcomes'] = {};
    for (const model of [STRONG_MODEL, WEAK_COLUMN]) {
      const mine = judgements.filter((judgement) => judgement.question_id === question.question_id && judgement.model === model);
      const score = mine.reduce((sum, judgement) => sum + judgement.score, 0) / Math.max(1, mine.length);
      const last = mine.find((judgement) => judgement.turn === 2) ?? mine[0];
      const answers = last ? [...last.user_prompt.matchAll(/### Assistant A:\n([\s\S]*?)(?=\n\n### User:|\n\n<\|The End of Assistant A)/g)].map((match) => match[1]) : [];
      const [first = '', second = ''] = answers;
      // Turn 2 re-sends turn 1 and its answer: count what the API would bill.
      const inputTokens = countTokens(question.turns[0]) * 2 + countTokens(first) + countTokens(question.turns[1]);
      outcomes[modelName(model)] = {
        score,
        // Turn 1's answer only: a cascade decides on turn 1, before turn 2 or its answer exist.
        response: first,
        input_tokens: inputTokens,
        output_tokens: countTokens(first) + countTokens(second),
      };
    }
    return { prompt: [{ role: 'user', content: question.turns[0] }], group: question.category, outcomes };
  });
  return { name: 'mt_bench', lines, dropped: questions.length - kept.length };
}
