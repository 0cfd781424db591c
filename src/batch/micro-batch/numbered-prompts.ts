import type { ChatMessage } from '../../protocol/openai/chat-schema.ts';

/**
 * The packing format: questions numbered `[1]`, `[2]`, … in one user message, and an instruction
 * (appended to the shared system prompt) to answer each on its own line with the same number.
 */
export function packMessages(system: string | undefined, questions: string[]): ChatMessage[] {
  const count = questions.length;
  const instruction =
    `You will receive ${count} independent questions, numbered [1] to [${count}]. ` +
    'Answer each one separately, exactly as you would if it had been asked alone. ' +
    `Reply with ${count} answers in order, each starting on a new line with its number in brackets, like "[1] answer". ` +
    'Write nothing before the first answer or after the last.';
  const numbered = questions.map((question, index) => `[${index + 1}] ${question}`).join('\n\n');
  return [
    { role: 'system', content: system ? `${system}\n\n${instruction}` : instruction },
    { role: 'user', content: numbered },
  ];
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
  const marker = /^\s*(?:\*\*)?\[(\d+)\](?:\*\*)?[ \t]*/gm;
  const found: { number: number; start: number; end: number }[] = [];
  for (let match = marker.exec(text); match !== null; match = marker.exec(text)) {
    found.push({ number: Number(match[1]), start: match.index, end: match.index + match[0].length });
  }
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
