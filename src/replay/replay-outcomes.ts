import { messageText, type ChatMessage } from '../protocol/openai/chat-schema.ts';
import { detectScoreScale, normalizeScore, promptText, type ModelOutcome, type OutcomesLine } from '../pipeline/route/outcomes.ts';

/** What an outcomes file says about one model's answer to one logged prompt. */
export interface OutcomeVerdict {
  /** False when the score (mapped onto 0..1) is below the pass score. */
  passes: boolean;
  /** The score mapped onto 0..1. */
  score: number;
  outcome: ModelOutcome;
}

function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

function lastUserText(messages: readonly ChatMessage[]): string | undefined {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  return last ? messageText(last.content) : undefined;
}

/**
 * The routing issue's outcomes file, indexed for replay: a logged request is matched to an outcomes
 * line by its prompt (system and user turns, whitespace-normalized), else by its last user message.
 * Replay cannot know a cheaper model's answer quality; this is where it learns it.
 */
export class ReplayOutcomes {
  readonly #byPrompt = new Map<string, OutcomesLine>();
  readonly #byQuestion = new Map<string, OutcomesLine>();
  readonly #scale: '0-1' | '1-10';
  readonly passScore: number;
  readonly size: number;

  constructor(lines: readonly OutcomesLine[], passScore = 0.5) {
    this.#scale = detectScoreScale(lines);
    this.passScore = passScore;
    this.size = lines.length;
    for (const line of lines) {
      this.#byPrompt.set(normalizeText(promptText(line.prompt)), line);
      const question = typeof line.prompt === 'string' ? line.prompt : lastUserText(line.prompt);
      if (question !== undefined) this.#byQuestion.set(normalizeText(question), line);
    }
  }

  get scale(): '0-1' | '1-10' {
    return this.#scale;
  }

  /** The outcomes line for a logged request's messages, if any. */
  lineFor(messages: readonly ChatMessage[]): OutcomesLine | undefined {
    const full = this.#byPrompt.get(normalizeText(promptText([...messages])));
    if (full) return full;
    const question = lastUserText(messages);
    return question === undefined ? undefined : this.#byQuestion.get(normalizeText(question));
  }

  /** The verdict on `model`'s answer to the logged request, when the file has one. */
  verdict(messages: readonly ChatMessage[], model: string): OutcomeVerdict | undefined {
    const outcome = this.lineFor(messages)?.outcomes[model];
    if (!outcome) return undefined;
    const score = normalizeScore(outcome.score, this.#scale);
    return { passes: score >= this.passScore, score, outcome };
  }
}
