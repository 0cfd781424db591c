import { canonicalWord, NEGATION_WORDS, normalizeText, wordTokens } from './text-features.ts';

/**
 * A precision guard looks at two questions that embed close together and returns why they must
 * not share an answer, or undefined. Embeddings smooth over exactly the details that change an
 * answer ("in 2019" vs "in 2020", "can" vs "can't"), so these checks are literal on purpose.
 */
export type PrecisionGuard = (left: string, right: string) => string | undefined;

const NUMBER_WORDS = new Map<string, string>(
  Object.entries({
    zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8',
    nine: '9', ten: '10', eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15',
    sixteen: '16', seventeen: '17', eighteen: '18', nineteen: '19', twenty: '20', thirty: '30', forty: '40',
    fifty: '50', sixty: '60', seventy: '70', eighty: '80', ninety: '90', hundred: '100', thousand: '1000',
    million: '1e6', billion: '1e9', trillion: '1e12', first: '1st', second: '2nd', third: '3rd',
    fourth: '4th', fifth: '5th', once: '1x', twice: '2x', half: '0.5', double: '2x', triple: '3x',
    dozen: '12', couple: '2',
  }),
);

/** Numbers, amounts and number words must agree ("5 days" vs "7 days", "$10" vs "$100"). */
export function numbersGuard(left: string, right: string): string | undefined {
  return differenceReason('numbers', numbersOf(left), numbersOf(right));
}

function numbersOf(text: string): string[] {
  const found: string[] = [];
  const normalized = normalizeText(text).replace(/(\d),(\d{3})\b/g, '$1$2');
  for (const match of normalized.matchAll(/\d+(?:\.\d+)?(?:st|nd|rd|th|k|m|x)?/g)) {
    const value = match[0].replace(/^0+(?=\d)/, '').replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    found.push(value);
  }
  for (const word of wordTokens(normalized)) {
    const number = NUMBER_WORDS.get(word);
    if (number) found.push(number);
  }
  return found;
}

const MONTHS = [
  'january', 'february', 'march', 'april', 'june', 'july', 'august', 'september', 'october', 'november',
  'december', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
];
const DAY_WORDS = [
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'weekend', 'weekday',
  'today', 'tomorrow', 'yesterday', 'tonight',
];
const PERIOD_WORDS = new Set(['day', 'week', 'month', 'year', 'quarter', 'decade', 'century', 'hour', 'minute']);
const DATE_WORDS = new Set([...MONTHS, ...DAY_WORDS]);

/** Dates and time references must agree ("in March" vs "in May", "last week" vs "next week"). */
export function datesGuard(left: string, right: string): string | undefined {
  return differenceReason('dates', datesOf(left), datesOf(right));
}

function datesOf(text: string): string[] {
  const words = wordTokens(normalizeText(text));
  const found: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index];
    const singular = word.endsWith('s') ? word.slice(0, -1) : word;
    if (DATE_WORDS.has(word) || DATE_WORDS.has(singular)) found.push(word.slice(0, 3));
    // "may" is a month only next to a number ("May 5", "5 may"), otherwise it is the modal verb.
    if (word === 'may' && (/^\d/.test(words[index + 1] ?? '') || /^\d/.test(words[index - 1] ?? ''))) found.push('may');
    if ((word === 'last' || word === 'next' || word === 'this' || word === 'previous') && PERIOD_WORDS.has(words[index + 1] ?? '')) {
      found.push(`${word === 'previous' ? 'last' : word} ${words[index + 1]}`);
    }
  }
  return found;
}

/**
 * Each pattern is linear in the text: a prompt is the client's to choose, and a pattern that rescans the rest
 * of a long run from every position inside it (an email's local part, a code's look-aheads) took seconds of
 * the event loop on a 50 kB prompt. `keep` filters a match where a look-ahead would have rescanned.
 */
const ENTITY_PATTERNS: { pattern: RegExp; keep?: (match: string) => boolean }[] = [
  // email: the local part starts where a run of its characters starts, so a failed run is scanned once
  { pattern: /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g },
  { pattern: /\bhttps?:\/\/\S+|\bwww\.\S+/gi }, // URL
  { pattern: /(?<![\p{L}\d])(?:[\p{Lu}][\p{L}\d&'-]*)/gu }, // capitalised words and acronyms
  // codes mixing letters and digits: A320, covid-19
  { pattern: /\b[a-z\d-]{2,}\b/gi, keep: (match) => /\d/.test(match) && /[a-z]/i.test(match) },
];

/**
 * Named entities must agree: capitalised words not at a sentence start, acronyms, emails, URLs
 * and codes. An entity of one question counts as present in the other when the other contains it
 * in any case, so "Python" and "python" agree but "Python" and "Java" do not.
 */
export function entitiesGuard(left: string, right: string): string | undefined {
  const leftEntities = entitiesOf(left);
  const rightEntities = entitiesOf(right);
  const leftWords = lowerWordSet(left);
  const rightWords = lowerWordSet(right);
  const missingInRight = leftEntities.filter((entity) => !containsEntity(rightWords, right, entity));
  const missingInLeft = rightEntities.filter((entity) => !containsEntity(leftWords, left, entity));
  const missing = [...missingInRight, ...missingInLeft];
  if (missing.length > 0) return `named entities differ: ${[...new Set(missing)].join(', ')}`;
  // Same entities in another order ask another question: "from Java to .NET" vs "from .NET to Java".
  if (leftEntities.length > 1 && leftEntities.length === rightEntities.length && leftEntities.join('|') !== rightEntities.join('|')) {
    return `named entities in another order: ${leftEntities.join(', ')} / ${rightEntities.join(', ')}`;
  }
  return undefined;
}

/** Entities in the order they appear, each once. */
function entitiesOf(text: string): string[] {
  const found = new Map<string, number>();
  for (const { pattern, keep } of ENTITY_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (keep !== undefined && !keep(match[0])) continue;
      const entity = match[0].replace(/['’]s$/i, '').replace(/[.,;:!?)'"’-]+$/, '');
      if (!entity || entity === 'I' || /^I['’]/.test(entity)) continue;
      if (/^\p{Lu}/u.test(entity) && isSentenceStart(text, match.index ?? 0) && !/^\p{Lu}{2,}/u.test(entity)) continue;
      const lowered = entity.toLowerCase();
      if (!found.has(lowered)) found.set(lowered, match.index ?? 0);
    }
  }
  return [...found].sort((left, right) => left[1] - right[1]).map(([entity]) => entity);
}

/** First word of the text or of a sentence: its capital says nothing about being a name. */
function isSentenceStart(text: string, offset: number): boolean {
  const before = text.slice(0, offset).trimEnd();
  return before === '' || /[.!?:;"“(\n-]$/.test(before);
}

function lowerWordSet(text: string): Set<string> {
  const words = wordTokens(normalizeText(text));
  return new Set([...words, ...words.map(canonicalWord)]);
}

function containsEntity(words: Set<string>, text: string, entity: string): boolean {
  if (words.has(entity) || words.has(canonicalWord(entity))) return true;
  return entity.length >= 4 && text.toLowerCase().includes(entity);
}

/** A negated question asks something else: "can I" vs "can't I", "with" vs "without". */
export function negationGuard(left: string, right: string): string | undefined {
  const leftNegated = negationCount(left) % 2 === 1;
  const rightNegated = negationCount(right) % 2 === 1;
  if (leftNegated === rightNegated) return undefined;
  return `negation differs: ${leftNegated ? 'first' : 'second'} question is negated`;
}

function negationCount(text: string): number {
  let count = 0;
  for (const word of wordTokens(normalizeText(text))) if (NEGATION_WORDS.has(word)) count++;
  return count;
}

/** Pairs of words that flip or order what is asked; canonical stems of both sides. */
const OPPOSITES: Array<[string, string]> = [
  ['before', 'after'], ['more', 'less'], ['more', 'fewer'], ['most', 'least'], ['increase', 'decrease'],
  ['buy', 'sell'], ['send', 'receive'], ['import', 'export'], ['upload', 'download'], ['add', 'remove'],
  ['enable', 'disable'], ['activate', 'deactivate'], ['begin', 'stop'], ['open', 'close'], ['win', 'lose'],
  ['gain', 'lose'], ['best', 'worst'], ['better', 'worse'], ['cheap', 'expensive'],
  ['first', 'last'], ['above', 'below'], ['over', 'under'], ['max', 'min'], ['maximum', 'minimum'],
  ['highest', 'lowest'], ['high', 'low'], ['big', 'small'], ['bigger', 'smaller'], ['male', 'female'],
  ['man', 'woman'], ['men', 'women'], ['boy', 'girl'], ['husband', 'wife'], ['old', 'new'], ['young', 'old'],
  ['quick', 'slow'], ['early', 'late'], ['pro', 'con'], ['advantage', 'disadvantage'], ['positive', 'negative'],
  ['true', 'false'], ['right', 'wrong'], ['legal', 'illegal'], ['possible', 'impossible'], ['like', 'dislike'],
  ['love', 'hate'], ['accept', 'reject'], ['allow', 'forbid'], ['deposit', 'withdraw'], ['credit', 'debit'],
  ['incoming', 'outgoing'], ['inbound', 'outbound'], ['input', 'output'], ['in', 'out'], ['up', 'down'],
  ['on', 'off'], ['from', 'to'], ['encrypt', 'decrypt'], ['lock', 'unlock'], ['block', 'unblock'],
  ['subscribe', 'unsubscribe'], ['install', 'uninstall'], ['agree', 'disagree'], ['succeed', 'fail'],
  ['pass', 'fail'], ['rich', 'poor'], ['public', 'private'], ['north', 'south'], ['east', 'west'], ['hot', 'cold'], ['long', 'short'], ['easy', 'hard'], ['easy', 'difficult'],
];
const OPPOSITE_PAIRS = OPPOSITES.map(([one, other]) => [canonicalWord(one), canonicalWord(other)] as const);

/**
 * Opposite or directional words must not be swapped between the questions ("buy" vs "sell",
 * "before" vs "after"). Only a one-sided swap vetoes: a question holding both words is a comparison.
 */
export function polarityGuard(left: string, right: string): string | undefined {
  const leftTerms = new Set(wordTokens(normalizeText(left)).map(canonicalWord));
  const rightTerms = new Set(wordTokens(normalizeText(right)).map(canonicalWord));
  for (const [one, other] of OPPOSITE_PAIRS) {
    const swapped =
      (leftTerms.has(one) && !leftTerms.has(other) && rightTerms.has(other) && !rightTerms.has(one)) ||
      (leftTerms.has(other) && !leftTerms.has(one) && rightTerms.has(one) && !rightTerms.has(other));
    if (swapped) return `opposite words: ${one} / ${other}`;
  }
  return undefined;
}

/** The kind of answer a question wants; "how do I" and "what is the way to" are the same kind. */
function questionKind(text: string): string {
  const words = wordTokens(normalizeText(text));
  for (let index = 0; index < words.length; index++) {
    const word = words[index];
    const next = words[index + 1];
    if (word === 'why') return 'reason';
    if (word === 'where') return 'place';
    if (word === 'who' || word === 'whom' || word === 'whose') return 'person';
    if (word === 'when' || (word === 'how' && (next === 'long' || next === 'soon')) || (word === 'what' && next === 'time')) return 'time';
    if (word === 'how' && (next === 'many' || next === 'much' || next === 'often')) return 'quantity';
  }
  return 'other';
}

/** "Why", "where", "who", "when/how long" and "how many/much" questions want different answers. */
export function questionKindGuard(left: string, right: string): string | undefined {
  const leftKind = questionKind(left);
  const rightKind = questionKind(right);
  return leftKind === rightKind ? undefined : `question kinds differ: ${leftKind} / ${rightKind}`;
}

function differenceReason(what: string, left: string[], right: string[]): string | undefined {
  const leftSorted = [...new Set(left)].sort();
  const rightSorted = [...new Set(right)].sort();
  if (leftSorted.join('|') === rightSorted.join('|')) return undefined;
  return `${what} differ: [${leftSorted.join(', ')}] vs [${rightSorted.join(', ')}]`;
}

/** The guards the semantic cache runs by default, cheapest first. */
export const DEFAULT_GUARDS: readonly PrecisionGuard[] = [
  negationGuard,
  numbersGuard,
  datesGuard,
  questionKindGuard,
  polarityGuard,
  entitiesGuard,
];

/** The first guard's veto reason, or undefined when every guard lets the pair through. */
export function vetoReason(left: string, right: string, guards: readonly PrecisionGuard[] = DEFAULT_GUARDS): string | undefined {
  for (const guard of guards) {
    const reason = guard(left, right);
    if (reason) return reason;
  }
  return undefined;
}
