/**
 * Term extraction for query-aware scoring: lower-cased word terms with stop words removed and a light
 * suffix stemmer (so "awarded" meets "award"), and the question's anchors — numbers and named
 * entities — that a kept chunk must contain verbatim.
 */

const STOP_WORDS = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have having he her hers him his how i ' +
    'if in into is it its itself me my of on or our ours she should so than that the their theirs them then there these they ' +
    'this those to too was we were what when where which while who whom whose why will with would you your yours about above ' +
    'after again against all am any because before below between both during each few further here just more most no nor not ' +
    'now off once only other out over own same some such through under until up very s t don get got also may might must shall ' +
    'us name named called many much one first last tell give list find show explain describe please'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+/gu;

/** Reduces inflected English words to a shared stem; cheap, deterministic, good enough for BM25. */
export function stem(word: string): string {
  const length = word.length;
  if (length <= 3) return word;
  if (word.endsWith('ies') && length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('ing') && length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && length > 4 && /(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

/** Calls `visit` with each content term of `text`, in order (duplicates included). */
export function forEachTerm(text: string, visit: (term: string) => void): void {
  forEachWord(text, (term, stop) => {
    if (!stop) visit(term);
  });
}

/** Calls `visit` with every word of `text`, stemmed, and whether it is a stop word. */
export function forEachWord(text: string, visit: (term: string, stop: boolean) => void): void {
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match; match = WORD.exec(text)) {
    const word = match[0].toLowerCase();
    if (STOP_WORDS.has(word)) visit(word, true);
    else visit(stem(word), false);
  }
}

/**
 * The distinct query terms of `text`: content terms, then word pairs ("like about", "third
 * president") unless both are stop words. Pairs match phrases — song and book titles are often
 * made of stop words, and a phrase is far rarer than its words.
 */
export function distinctTerms(text: string): string[] {
  const seen = new Set<string>();
  forEachTerm(text, (term) => seen.add(term));
  let previous: { term: string; stop: boolean } | undefined;
  forEachWord(text, (term, stop) => {
    if (previous && !(previous.stop && stop)) seen.add(`${previous.term} ${term}`);
    previous = { term, stop };
  });
  return [...seen];
}

/** Literal strings from the question that a chunk must contain to be kept regardless of score. */
export interface QuestionAnchors {
  /** Numbers as written ("1901", "3.5", "42"), matched as whole tokens. */
  numbers: string[];
  /** Named entities and identifiers ("Wilhelm Röntgen", "ERR_TIMEOUT", "gpt-4o"), matched case-sensitively. */
  entities: string[];
}

const NUMBER = /(?<![\p{L}\p{N}.])\d+(?:[.,]\d+)*(?![\p{L}\p{N}])/gu;
const CAPITALIZED_RUN = /(?<![\p{L}\p{N}])\p{Lu}[\p{L}\p{N}'’-]*(?:\s+(?:of|de|la|van|von|the|and|&)?\s*\p{Lu}[\p{L}\p{N}'’-]*)*/gu;
const IDENTIFIER = /(?<![\p{L}\p{N}_])[\p{L}_][\p{L}\p{N}]*(?:[_\-.:/][\p{L}\p{N}]+)+(?![\p{L}\p{N}_])|\b[a-z]+[A-Z][\p{L}\p{N}]*/gu;
const QUOTED = /["“'‘`]([^"”'’`\n]{2,60})["”'’`]/g;

/**
 * Finds the question's numbers and named entities. A capitalized word counts as an entity unless it
 * is only capitalized because it starts the sentence and is a stop word or question word.
 */
export function questionAnchors(question: string): QuestionAnchors {
  const numbers = new Set<string>();
  const entities = new Set<string>();
  for (const match of question.matchAll(NUMBER)) numbers.add(match[0]);
  for (const match of question.matchAll(CAPITALIZED_RUN)) {
    const words = match[0].split(/\s+/);
    // A lone capitalized word opening a sentence ("Summarize …") is grammar, not a name.
    const opensSentence = /(?:^|[.!?:]\s+)$/.test(question.slice(0, match.index));
    if (opensSentence && words.length === 1 && !/^\p{Lu}{2,}$|\p{Ll}\p{Lu}/u.test(words[0])) continue;
    // Drop a leading question word or stop word ("Who", "The") that is capitalized only by position.
    while (words.length > 0 && STOP_WORDS.has(words[0].toLowerCase())) words.shift();
    const entity = words.join(' ').replace(/['’]s$/, '');
    if (entity.length >= 2 && !/^\d+$/.test(entity)) entities.add(entity);
  }
  for (const match of question.matchAll(IDENTIFIER)) entities.add(match[0]);
  for (const match of question.matchAll(QUOTED)) entities.add(match[1].trim());
  return { numbers: [...numbers], entities: [...entities].filter((entity) => entity.length >= 2) };
}

/** True when `text` contains `needle` as a whole token (not inside a longer word or number). */
export function containsWhole(text: string, needle: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at === -1) return false;
    const before = at === 0 ? '' : text[at - 1];
    const after = text[at + needle.length] ?? '';
    if (!isWordCharacter(before) && !isWordCharacter(after)) return true;
    from = at + 1;
  }
}

function isWordCharacter(character: string): boolean {
  return character !== '' && /[\p{L}\p{N}]/u.test(character);
}
