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

/** A request asking the judge to grade one answer from 1 to 10. */
export function gradeRequest(request: Pick<ChatRequest, 'messages'>, answer: string, maxTokens: number): ChatRequest {
  return {
    model: 'judge',
    temperature: 0,
    max_tokens: maxTokens,
    messages: [
      {
        role: 'system',
        content:
          'You grade an AI assistant\'s answer to a conversation. Score 1 to 10: 10 = correct, complete and helpful; ' +
          '5 = partly right or incomplete; 1 = wrong, a refusal or off-topic. Reply with the number only.',
      },
      { role: 'user', content: `[Conversation]\n${conversationText(request)}\n\n[Answer]\n${answer}\n\nScore (1-10):` },
    ],
  };
}

/** The 1..10 score in a judge's reply mapped onto 0..1, or undefined when it gave none. */
export function parseGrade(reply: string): number | undefined {
  const match = /(?<![\d.])(10|[1-9])(?:\.\d+)?(?!\d)/.exec(reply);
  if (!match) return undefined;
  const value = Number(match[0]);
  return Math.min(1, Math.max(0, (value - 1) / 9));
}

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
      {
        role: 'system',
        content:
          'You compare two AI assistants\' answers to the same conversation. Score each from 1 to 10 ' +
          '(10 = correct, complete and helpful). Judge only the content, not the length or the position. ' +
          'Reply exactly in the form "A: <score>, B: <score>".',
      },
      { role: 'user', content: `[Conversation]\n${conversationText(request)}\n\n[Answer A]\n${answerA}\n\n[Answer B]\n${answerB}` },
    ],
  };
}

/** Scores (1..10) for A and B from a pairwise reply, or undefined when the reply is not in the form. */
export function parsePairwise(reply: string): { a: number; b: number } | undefined {
  const a = /\bA\s*[:=]\s*(10|[1-9])(?:\.\d+)?/i.exec(reply);
  const b = /\bB\s*[:=]\s*(10|[1-9])(?:\.\d+)?/i.exec(reply);
  if (!a || !b) return undefined;
  return { a: Number(a[1]), b: Number(b[1]) };
}
