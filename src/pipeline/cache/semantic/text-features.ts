/**
 * Text normalisation shared by the local embedder and the precision guards: contractions expanded,
 * punctuation dropped, a light suffix stemmer and a small hand-written synonym table. Everything
 * here is general English written for Frugal, not learned from any benchmark set.
 */

const CONTRACTIONS: Array<[RegExp, string]> = [
  [/\bcan['’]t\b/g, 'can not'],
  [/\bwon['’]t\b/g, 'will not'],
  [/\bshan['’]t\b/g, 'shall not'],
  [/\b(\w+)n['’]t\b/g, '$1 not'],
  [/\b(\w+)['’]re\b/g, '$1 are'],
  [/\b(\w+)['’]ve\b/g, '$1 have'],
  [/\b(\w+)['’]ll\b/g, '$1 will'],
  [/\b(\w+)['’]d\b/g, '$1 would'],
  [/\bi['’]m\b/g, 'i am'],
  [/\b(it|that|what|where|who|how|there|here|he|she)['’]s\b/g, '$1 is'],
  [/\bcannot\b/g, 'can not'],
];

/** Function words that say little about what is asked; negation and question words are kept apart. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then so of to in on at by for with from into onto about as than too very ' +
    'i me my mine myself we us our ours you your yours he him his she her hers it its they them their theirs ' +
    'this that these those there here is am are was were be been being do does did done doing have has had having ' +
    'can could would should will shall may might must get got getting gets just also still even really ' +
    'some any all each every much many more most such own same other another again already ' +
    'please thank thanks hi hello hey ok okay'
  ).split(' '),
);

/**
 * Words that change what a question asks for; kept out of the stopword list so that they weigh in
 * the embedding, and used by the guards.
 */
export const NEGATION_WORDS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'nowhere', 'without',
]);

/**
 * Synonym groups mapped to one canonical form, so "purchase" and "buy" land on the same feature.
 * Kept small and generic on purpose: a wrong merge costs precision everywhere.
 */
const SYNONYM_GROUPS: string[][] = [
  ['buy', 'purchase', 'purchas'],
  ['receive', 'receiv', 'recieve', 'recieved'],
  ['cancel', 'cancell', 'revoke', 'revok'],
  ['refund', 'reimburse', 'reimburs'],
  ['fee', 'charge', 'cost', 'price'],
  ['money', 'fund'],
  ['arrive', 'arriv', 'deliver', 'delivery'],
  ['wrong', 'incorrect', 'mistaken', 'erroneou'],
  ['broken', 'broke', 'damaged', 'damag'],
  ['work', 'function', 'operat'],
  ['lost', 'lose', 'misplac'],
  ['steal', 'stolen', 'stole'],
  ['begin', 'start'],
  ['stop', 'halt'],
  ['big', 'large', 'huge'],
  ['small', 'little', 'tiny'],
  ['quick', 'fast', 'rapid', 'quickly', 'speedy'],
  ['easy', 'simple', 'eas'],
  ['help', 'assist', 'assistanc', 'support'],
  ['phone', 'mobile', 'cellphone', 'smartphone'],
  ['movie', 'film'],
  ['job', 'career'],
  ['car', 'automobile', 'vehicle'],
  ['kid', 'child', 'children'],
  ['wife', 'spouse'],
  ['choose', 'select', 'pick'],
  ['show', 'display'],
  ['change', 'modify', 'alter', 'amend'],
  ['verify', 'verif', 'confirm'],
  ['need', 'require', 'requir'],
  ['want', 'wish', 'desire'],
  ['mean', 'meaning', 'definition', 'defin'],
  ['good', 'great', 'nice', 'fine'],
  ['method', 'way'],
  ['learn', 'study'],
  ['problem', 'issue', 'trouble'],
  ['currently', 'now'],
  ['weight', 'weigh'],
  ['fix', 'repair', 'resolve', 'resolv'],
];

const SYNONYMS = new Map<string, string>();
for (const group of SYNONYM_GROUPS) for (const word of group) SYNONYMS.set(word, group[0]);

/** Lower-cases, expands contractions and keeps letters, digits and a few joiners. */
export function normalizeText(text: string): string {
  let lowered = text.toLowerCase().normalize('NFKC');
  for (const [pattern, replacement] of CONTRACTIONS) lowered = lowered.replace(pattern, replacement);
  // "c++", "c#" and "f#" are different languages from "c" and "f": keep their symbols.
  lowered = lowered.replace(/(^|[^\p{L}\p{N}])([a-z])(\+\+|#)(?=[^\p{L}\p{N}]|$)/gu, (_, before, letter, symbol) =>
    `${before}${letter}${symbol === '#' ? 'sharp' : 'plusplus'}`);
  return lowered.replace(/[^\p{L}\p{N}\s.%$€£@+-]/gu, ' ').replace(/\s+/g, ' ').trim();
}

/** Word tokens of normalised text; a trailing "." or "-" is dropped but "3.5" and "e-mail" survive. */
export function wordTokens(normalized: string): string[] {
  const tokens: string[] = [];
  for (const raw of normalized.split(' ')) {
    const token = raw.replace(/^[.\-+]+|[.\-+]+$/g, '');
    if (token) tokens.push(token);
  }
  return tokens;
}

/**
 * Light suffix stemmer: plural, -ing, -ed, -ly, -ies. Cruder than Porter, but it only has to put
 * inflections of one word together; it never has to produce a readable stem.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let stemmed = word;
  if (stemmed.endsWith('ies') && stemmed.length > 4) stemmed = stemmed.slice(0, -3) + 'y';
  else if (/(ss|us|is)$/.test(stemmed)) stemmed = stemmed;
  else if (/(ches|shes|xes|sses|zes)$/.test(stemmed)) stemmed = stemmed.slice(0, -2);
  else if (stemmed.endsWith('s')) stemmed = stemmed.slice(0, -1);
  if (stemmed.endsWith('ing') && stemmed.length > 5) stemmed = undouble(stemmed.slice(0, -3));
  else if (stemmed.endsWith('ied') && stemmed.length > 4) stemmed = stemmed.slice(0, -3) + 'y';
  else if (stemmed.endsWith('ed') && stemmed.length > 4) stemmed = undouble(stemmed.slice(0, -2));
  else if (stemmed.endsWith('ly') && stemmed.length > 5) stemmed = stemmed.slice(0, -2);
  if (stemmed.endsWith('e') && stemmed.length > 4) stemmed = stemmed.slice(0, -1);
  return stemmed;
}

function undouble(word: string): string {
  const last = word.length - 1;
  if (last > 2 && word[last] === word[last - 1] && !/[lsz]/.test(word[last])) return word.slice(0, -1);
  return word;
}

/** Canonical form of a word: synonym group head of its stem (or of the word itself). */
export function canonicalWord(word: string): string {
  const direct = SYNONYMS.get(word);
  if (direct) return direct;
  const stemmed = stem(word);
  return SYNONYMS.get(stemmed) ?? stemmed;
}

/** A question broken into what the embedder and the guards need. */
export interface AnalyzedText {
  /** Lower-cased word tokens in order. */
  words: string[];
  /** Canonical forms of the words that are not stopwords, in order. */
  contentTerms: string[];
}

export function analyzeText(text: string): AnalyzedText {
  const words = wordTokens(normalizeText(text));
  const contentTerms: string[] = [];
  for (const word of words) {
    if (STOPWORDS.has(word)) continue;
    contentTerms.push(canonicalWord(word));
  }
  return { words, contentTerms };
}

/** Character 3–5-grams of one word padded as `<word>` (the embedders' sub-word features). */
export function charGrams(word: string): string[] {
  const padded = `<${word}>`;
  const grams: string[] = [];
  for (let size = 3; size <= 5; size++) {
    for (let start = 0; start + size <= padded.length; start++) grams.push(padded.slice(start, start + size));
  }
  return grams;
}
