import type { ChatRequest } from '../../../protocol/openai/chat-schema.ts';

/** The semantic cache's verifier prompt: a cheap model asked whether two questions want the same answer. */
export const SAME_QUESTION_INSTRUCTIONS =
  'You decide whether two questions ask for the same answer. Reply with exactly one word: "yes" if one answer serves both, otherwise "no".';

const FIRST = 'Question 1: ';
const SECOND = '\nQuestion 2: ';

/** The verifier's messages for a stored and an incoming question. */
export function sameQuestionMessages(storedQuestion: string, incomingQuestion: string): ChatRequest['messages'] {
  return [
    { role: 'system', content: SAME_QUESTION_INSTRUCTIONS },
    { role: 'user', content: `${FIRST}${storedQuestion}${SECOND}${incomingQuestion}` },
  ];
}

/** A "yes" verdict: the reply starts with the word yes. */
export function saysSame(reply: string): boolean {
  return /^\W*yes\b/i.test(reply);
}

/** The two questions of a verifier request (for the simulated provider), or undefined for any other request. */
export function readSameQuestionRequest(request: Pick<ChatRequest, 'messages'>): { stored: string; incoming: string } | undefined {
  const [system, user] = request.messages;
  if (request.messages.length !== 2 || system.role !== 'system' || user.role !== 'user') return undefined;
  if (system.content !== SAME_QUESTION_INSTRUCTIONS || typeof user.content !== 'string' || !user.content.startsWith(FIRST)) return undefined;
  const split = user.content.lastIndexOf(SECOND);
  if (split < 0) return undefined;
  return { stored: user.content.slice(FIRST.length, split), incoming: user.content.slice(split + SECOND.length) };
}
