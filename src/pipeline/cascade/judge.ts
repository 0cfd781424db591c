import { messageText, type ChatRequest } from '../../protocol/openai/chat-schema.ts';

/**
 * Prompts for the LLM judge and parsers for its verdicts. The judge answers with numbers only, so
 * a small `max_tokens` bounds its cost (and its worst case under a cost cap).
 */

/** Characters of conversation shown to the judge; longer conversations keep their end. */
const MAX_CONVERSATION_CHARS = 12_000;

/** The conversation as plain text for the judge ("user: …"), newest turns kept when long. */
export function conversationText(request: Pick<ChatRequest, 'messages'>): string {
  const text = request.messages.map((message) => `${message.role}: ${messageText(message.content)}`).join('\n\n');
  return text.length > MAX_CONVERSATION_CHARS ? `…${text.slice(-MAX_CONVERSATION_CHARS)}` : text;
}

/** The judge's instructions for grading one answer (the system message of {@link gradeRequest}). */
export const GRADE_INSTRUCTIONS =
  'You grade an AI assistant\'s answer to a conversation. Score 1 to 10: 10 = correct, complete and helpful; ' +
  '5 = partly right or incomplete; 1 = wrong, a refusal or off-topic. Reply with the number only.';

const GRADE_ANSWER_MARK = '\n\n[Answer]\n';
const GRADE_END = '\n\nScore (1-10):';

/** A request asking the judge to grade one answer from 1 to 10. */
export function gradeRequest(request: Pick<ChatRequest, 'messages'>, answer: string, maxTokens: number): ChatRequest {
  return {
    model: 'judge',
    temperature: 0,
    max_tokens: maxTokens,
    messages: [
      { role: 'system', content: GRADE_INSTRUCTIONS },
      { role: 'user', content: `[Conversation]\n${conversationText(request)}${GRADE_ANSWER_MARK}${answer}${GRADE_END}` },
    ],
  };
}

/**
 * The 1..10 score in a judge's reply mapped onto 0..1 (grade g → (g − 1) / 9: 9/10 is 0.89, so a
 * tier threshold of 0.9 needs 10/10), or undefined when it gave none. A grade is read where a judge
 * puts one — the reply opening with the number ("8", "**8**", "8/10 – …"), "score: 8", "rate it 8",
 * "8/10", "8 out of 10" — never from digits inside words or from prose that merely contains a
 * number: "[simulated qwen3-8b] …" is no grade of 3.
 */
export function parseGrade(reply: string): number | undefined {
  // "(1-10)" or "1 to 10" echoed from the instructions is the scale, not a grade.
  const text = reply.trim().replace(/\b1\s*(?:-|–|to)\s*10\b/gi, ' ');
  const match =
    /^[\s*_"'`([]*((?:10|[1-9])(?:\.\d+)?)(?!\w|\.\d)/.exec(text) ??
    /(?<![\w.])((?:10|[1-9])(?:\.\d+)?)\s*(?:\/\s*10|out of 10)(?!\d)/i.exec(text) ??
    /\b(?:score|scored|rating|rate|rated|grade|graded)\b[^\d\n]{0,24}?(?<![\w.])((?:10|[1-9])(?:\.\d+)?)(?!\w|\.\d)/i.exec(text);
  if (!match) return undefined;
  return Math.min(1, Math.max(0, (Number(match[1]) - 1) / 9));
}

/** The judge's instructions for comparing two answers (the system message of {@link pairwiseRequest}). */
export const PAIRWISE_INSTRUCTIONS =
  'You compare two AI assistants\' answers to the same conversation. Score each from 1 to 10 ' +
  '(10 = correct, complete and helpful). Judge only the content, not the length or the position. ' +
  'Reply exactly in the form "A: <score>, B: <score>".';

const PAIRWISE_A_MARK = '\n\n[Answer A]\n';
const PAIRWISE_B_MARK = '\n\n[Answer B]\n';

/**
 * A blind pairwise request: the two answers are shown as A and B in an order the caller chose at
 * random, so the judge cannot favour the baseline by position or by knowing which is which.
 */
export function pairwiseRequest(request: Pick<ChatRequest, 'messages'>, answerA: string, answerB: string): ChatRequest {
  return {
    model: 'judge',
    temperature: 0,
    max_tokens: 24,
    messages: [
      { role: 'system', content: PAIRWISE_INSTRUCTIONS },
      { role: 'user', content: `[Conversation]\n${conversationText(request)}${PAIRWISE_A_MARK}${answerA}${PAIRWISE_B_MARK}${answerB}` },
    ],
  };
}

/**
 * What a judge request built here asks, read back from its messages: one answer to grade, or two to
 * compare; undefined for any other request. The offline simulated provider uses it to answer judge
 * prompts in the form the parsers read.
 */
export function readJudgeRequest(request: Pick<ChatRequest, 'messages'>): { kind: 'grade'; answer: string } | { kind: 'pairwise'; a: string; b: string } | undefined {
  const [system, user] = request.messages;
  if (request.messages.length !== 2 || system.role !== 'system' || user.role !== 'user') return undefined;
  const instructions = messageText(system.content);
  const text = messageText(user.content);
  if (instructions === GRADE_INSTRUCTIONS && text.endsWith(GRADE_END)) {
    const at = text.lastIndexOf(GRADE_ANSWER_MARK);
    if (at >= 0) return { kind: 'grade', answer: text.slice(at + GRADE_ANSWER_MARK.length, -GRADE_END.length) };
  }
  if (instructions === PAIRWISE_INSTRUCTIONS) {
    const b = text.lastIndexOf(PAIRWISE_B_MARK);
    const a = b >= 0 ? text.lastIndexOf(PAIRWISE_A_MARK, b) : -1;
    if (a >= 0) return { kind: 'pairwise', a: text.slice(a + PAIRWISE_A_MARK.length, b), b: text.slice(b + PAIRWISE_B_MARK.length) };
  }
  return undefined;
}

/** The start of a reply, for a trace or a log line. */
export function excerpt(text: string, characters: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > characters ? `${flat.slice(0, characters - 1)}…` : flat;
}

/** Scores (1..10) for A and B from a pairwise reply, or undefined when the reply is not in the form. */
export function parsePairwise(reply: string): { a: number; b: number } | undefined {
  const a = /\bA\s*[:=]\s*(10|[1-9])(?:\.\d+)?/i.exec(reply);
  const b = /\bB\s*[:=]\s*(10|[1-9])(?:\.\d+)?/i.exec(reply);
  if (!a || !b) return undefined;
  return { a: Number(a[1]), b: Number(b[1]) };
}
