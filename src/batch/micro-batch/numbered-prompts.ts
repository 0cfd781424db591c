import { messageText, type ChatMessage, type ChatRequest } from '../../protocol/openai/chat-schema.ts';

/** The instruction appended to the shared system prompt of a pack of `count` questions. */
function packingInstruction(count: number): string {
  return (
    `You will receive ${count} independent questions, numbered [1] to [${count}]. ` +
    'Answer each one separately, exactly as you would if it had been asked alone. ' +
    `Reply with ${count} answers in order, each starting on a new line with its number in brackets, like "[1] answer". ` +
    'Write nothing before the first answer or after the last.'
  );
}

/**
 * The packing format: questions numbered `[1]`, `[2]`, … in one user message, and an instruction
 * (appended to the shared system prompt) to answer each on its own line with the same number.
 */
export function packMessages(system: string | undefined, questions: string[]): ChatMessage[] {
  const instruction = packingInstruction(questions.length);
  const numbered = questions.map((question, index) => `[${index + 1}] ${question}`).join('\n\n');
  return [
    { role: 'system', content: system ? `${system}\n\n${instruction}` : instruction },
    { role: 'user', content: numbered },
  ];
}

/**
 * Recognises a packed request (what {@link packMessages} writes) and gives back the shared system
 * prompt and the questions, or `undefined` for any other request. The simulated provider uses it to
 * answer a pack the way a real model does, one numbered answer per question.
 */
export function readPackedRequest(request: ChatRequest): { system: string | undefined; questions: string[] } | undefined {
  const [systemMessage, user] = request.messages;
  if (request.messages.length !== 2 || systemMessage.role !== 'system' || user.role !== 'user') return undefined;
  const systemText = messageText(systemMessage.content);
  const count = Number(/You will receive (\d+) independent questions, numbered \[1\] to \[\d+\]\. /.exec(systemText)?.[1]);
  if (!Number.isInteger(count) || count < 1) return undefined;
  const instruction = packingInstruction(count);
  if (!systemText.endsWith(instruction)) return undefined;
  const before = systemText.slice(0, -instruction.length);
  if (before !== '' && !before.endsWith('\n\n')) return undefined;
  const text = messageText(user.content);
  if (!text.startsWith('[1] ')) return undefined;
  // Each question runs to the next number's marker (in order), the last one to the end.
  const questions: string[] = [];
  let start = '[1] '.length;
  for (let number = 2; number <= count; number++) {
    const marker = `\n\n[${number}] `;
    const at = text.indexOf(marker, start);
    if (at === -1) return undefined;
    questions.push(text.slice(start, at));
    start = at + marker.length;
  }
  questions.push(text.slice(start));
  return { system: before === '' ? undefined : before.slice(0, -2), questions };
}

/**
 * Reads the numbered answers back. An answer is the text after its `[n]` marker up to the next
 * marker; a number that is missing, repeated or empty gives `undefined` for that item (which is then
 * asked alone), so one garbled answer never takes another item's text.
 */
export function parseNumberedAnswers(text: string, count: number): (string | undefined)[] {
  const answers: (string | undefined)[] = Array.from({ length: count }, () => undefined);
  const seen = new Set<number>();
  const repeated = new Set<number>();
  const found = findMarkers(text);
  for (const [index, entry] of found.entries()) {
    if (entry.number < 1 || entry.number > count) continue;
    if (seen.has(entry.number)) repeated.add(entry.number);
    seen.add(entry.number);
    const answer = text.slice(entry.end, found[index + 1]?.start ?? text.length).trim();
    answers[entry.number - 1] = answer === '' ? undefined : answer;
  }
  for (const number of repeated) answers[number - 1] = undefined;
  return answers;
}

/**
 * The number of the answer that ends the text (its last `[n]` marker within 1…count), or undefined
 * when there is none. When the packed call was cut off (finish_reason `length`), this answer is the
 * one that may have been cut in the middle.
 */
export function lastAnswerNumber(text: string, count: number): number | undefined {
  return findMarkers(text).filter((entry) => entry.number >= 1 && entry.number <= count).at(-1)?.number;
}

function findMarkers(text: string): { number: number; start: number; end: number }[] {
  const marker = /^\s*(?:\*\*)?\[(\d+)\](?:\*\*)?[ \t]*/gm;
  const found: { number: number; start: number; end: number }[] = [];
  for (let match = marker.exec(text); match !== null; match = marker.exec(text)) {
    found.push({ number: Number(match[1]), start: match.index, end: match.index + match[0].length });
  }
  return found;
}
