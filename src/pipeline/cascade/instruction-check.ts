/**
 * The deterministic "instructions" answer check: explicit, checkable instructions in the user's message
 * ("in fewer than 50 words", "within 3 sentences", "start every sentence with the letter A", "output in
 * JSON", "in a table", "as 5 bullet points", "respond in French", "include the keywords …", "end with
 * the phrase …", "do not use the word …", "rewrite it as a limerick", "all lowercase") are read from the
 * prompt, and the answer is checked against each. An answer that ignores an explicit instruction is a
 * classic reason to ask a stronger model (IFEval-style verifiable instructions).
 *
 * It reads only what it can check, and errs on the side of not finding an instruction: a constraint that
 * applies to parts of the answer ("in 50 words each", "one sentence per item") is skipped, a negated one
 * ("you don't need to use a table") is skipped, and a count it cannot read off the answer (a list asked
 * for but answered as prose) is not a violation.
 */

/** One instruction read from the prompt. */
export interface InstructionConstraint {
  /** What kind of instruction: `words`, `sentences`, `json`, `language`, `keywords`, … */
  kind: string;
  /** The prompt's own words, e.g. `in fewer than 50 words`. */
  instruction: string;
  /** Why the answer breaks it, or undefined when it complies (or the answer does not let us tell). */
  check(answer: string): string | undefined;
}

export interface InstructionViolation {
  kind: string;
  instruction: string;
  detail: string;
}

/** The instructions found in a prompt and the ones an answer breaks. */
export interface InstructionReport {
  found: { kind: string; instruction: string }[];
  violated: InstructionViolation[];
}

// ---------------------------------------------------------------------------------------------------
// Numbers as prompts write them: digits or words ("fifty", "twenty-five", "a hundred", "a single").

const UNITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const UNIT_WORD = `(?:${UNITS.slice(1).join('|')})`;
const SUB_HUNDRED = `(?:(?:${TENS.slice(2).join('|')})(?:[- ]${UNIT_WORD})?|${TEENS.join('|')}|${UNIT_WORD})`;
/** A count: digits, number words up to the hundreds, or "a"/"a single" (= 1). */
const NUM = `(\\d+(?:,\\d{3})*|(?:(?:a|one|two|three|four|five|six|seven|eight|nine) hundred(?:(?: and)? ${SUB_HUNDRED})?)|${SUB_HUNDRED}|a single|one single|single|an?)`;

/** Parses a count written as digits or words; undefined when it is not one. */
export function parseCount(written: string): number | undefined {
  const text = written.trim().toLowerCase().replace(/,/g, '');
  if (/^\d+$/.test(text)) return Number(text);
  if (/^(a|an|a single|one single|single)$/.test(text)) return 1;
  let total = 0;
  let rest = text;
  const hundred = rest.match(/^(a|\w+) hundred(?: and)?\s*/);
  if (hundred) {
    const multiplier = hundred[1] === 'a' ? 1 : UNITS.indexOf(hundred[1]);
    if (multiplier <= 0) return undefined;
    total += multiplier * 100;
    rest = rest.slice(hundred[0].length);
  }
  if (!rest) return total;
  const [tensWord, unitWord] = rest.split(/[- ]/);
  if (TEENS.includes(rest)) return total + 10 + TEENS.indexOf(rest);
  if (TENS.includes(tensWord) && tensWord !== '') {
    const unit = unitWord === undefined ? 0 : UNITS.indexOf(unitWord);
    return unit < 0 ? undefined : total + TENS.indexOf(tensWord) * 10 + unit;
  }
  const unit = UNITS.indexOf(rest);
  return unit < 0 ? undefined : total + unit;
}

// ---------------------------------------------------------------------------------------------------
// Reading the answer.

/**
 * The answer without a leading "Sure, here is …:" line: a first line ending with a colon, followed by
 * more text, is an introduction, not part of what the instruction constrains.
 */
export function answerBody(answer: string): string {
  const trimmed = answer.trim();
  const newline = trimmed.indexOf('\n');
  if (newline < 0) return trimmed;
  const first = trimmed.slice(0, newline).trim();
  if (first.endsWith(':') && first.length <= 160 && !/^\s*(?:[-*•+]|\d+[.)])\s/.test(first)) return trimmed.slice(newline + 1).trim();
  return trimmed;
}

/** Markdown decoration that is not text: headings, emphasis, list markers, quote markers, table pipes. */
function plainLine(line: string): string {
  return line
    .replace(/^\s*(?:#{1,6}\s+|>\s*)+/, '')
    .replace(/^\s*(?:[-*•+]|\d+[.)]|\(?[a-z][.)])\s+/i, '')
    .replace(/[*_`~]+/g, '')
    .trim();
}

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export function countWords(text: string): number {
  return (text.match(WORD) ?? []).length;
}

// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS = /\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|st|jr|sr|no|fig|approx|inc|ltd|co|u\.s|u\.k|a\.m|p\.m)\.$/i;

/** The answer's sentences (markdown stripped; a line break ends a sentence, so list items count as sentences). */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = plainLine(rawLine);
    if (!/\p{L}/u.test(line)) continue;
    let current = '';
    const pieces = line.split(/(?<=[.!?…]["”’')\]]*)\s+/);
    for (const piece of pieces) {
      current = current ? `${current} ${piece}` : piece;
      if (ABBREVIATIONS.test(current) || /\b[A-Z]\.$/.test(current)) continue;
      if (/\p{L}/u.test(current)) sentences.push(current);
      current = '';
    }
    if (current && /\p{L}/u.test(current)) sentences.push(current);
  }
  return sentences;
}

/** Paragraphs: blocks between blank lines, headings and one-line titles left out. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(/\n\s*\n|\n\s*(?:\*\s*\*\s*\*|-{3,}|_{3,})\s*\n/)
    .map((block) => block.trim())
    .filter((block) => {
      if (!/\p{L}/u.test(block)) return false;
      const lines = block.split('\n');
      if (lines.length > 1) return true;
      if (/^#{1,6}\s/.test(block)) return false;
      const plain = plainLine(block);
      // A short line without closing punctuation is a title ("**My Trip to Hawaii**").
      return !(countWords(plain) <= 10 && !/[.!?:;)"”]$/.test(plain));
    });
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

const LIST_LINE = /^(\s*)(?:#{1,6}\s*)?(?:\*\*)?(?:([-*•+])|(\d+)[.)])(?:\*\*)?\s+\S/;

/**
 * The top-level items of the answer's list: numbered items when there are any (bullets under them are
 * details), else bullets at the smallest indentation. Undefined when the answer has no list, or its
 * numbering restarts (two lists: no single count to compare).
 */
export function topLevelItems(text: string): number | undefined {
  const numbered: { indent: number; value: number }[] = [];
  const bullets: number[] = [];
  for (const line of text.split('\n')) {
    const match = line.match(LIST_LINE);
    if (!match) continue;
    const indent = match[1].replace(/\t/g, '    ').length;
    if (match[3] !== undefined) numbered.push({ indent, value: Number(match[3]) });
    else bullets.push(indent);
  }
  if (numbered.length > 0) {
    const indent = Math.min(...numbered.map((item) => item.indent));
    const top = numbered.filter((item) => item.indent === indent);
    if (top.filter((item) => item.value === 1).length > 1) return undefined;
    return top.length;
  }
  if (bullets.length === 0) return undefined;
  const indent = Math.min(...bullets);
  return bullets.filter((value) => value === indent).length;
}

function hasListLines(text: string): boolean {
  return text.split('\n').some((line) => LIST_LINE.test(line));
}

/** True when the text holds a JSON object or array: the whole answer, a fenced block, or the outermost braces. */
export function containsJson(text: string): boolean {
  const candidates = [text.trim()];
  for (const match of text.matchAll(/```[\w-]*\s*\n?([\s\S]*?)```/g)) candidates.push(match[1].trim());
  const open = text.search(/[[{]/);
  if (open >= 0) {
    const close = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
    if (close > open) candidates.push(text.slice(open, close + 1));
  }
  return candidates.some((candidate) => {
    try {
      const value: unknown = JSON.parse(candidate);
      return value !== null && typeof value === 'object';
    } catch {
      return false;
    }
  });
}

function hasTable(text: string): boolean {
  if (/<table[\s>]/i.test(text)) return true;
  const lines = text.split('\n');
  const piped = lines.filter((line) => (line.match(/\|/g) ?? []).length >= 2);
  const separator = lines.some((line) => /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$/.test(line));
  return piped.length >= 3 || (piped.length >= 2 && separator);
}

// ---------------------------------------------------------------------------------------------------
// Languages: scripts for those with their own, frequent function words for Latin-script ones.

const SCRIPT_LANGUAGES: Record<string, RegExp> = {
  chinese: /\p{Script=Han}/gu,
  mandarin: /\p{Script=Han}/gu,
  japanese: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/gu,
  korean: /\p{Script=Hangul}/gu,
  russian: /\p{Script=Cyrillic}/gu,
  ukrainian: /\p{Script=Cyrillic}/gu,
  arabic: /\p{Script=Arabic}/gu,
  hindi: /\p{Script=Devanagari}/gu,
  greek: /\p{Script=Greek}/gu,
  hebrew: /\p{Script=Hebrew}/gu,
  thai: /\p{Script=Thai}/gu,
};

const FUNCTION_WORDS: Record<string, Set<string>> = {
  english: new Set('the and is are of to with that this for it was be have you not they on at by from which or will would can'.split(' ')),
  spanish: new Set('el los las del que y es por para con una un se su está son como pero muy más también lo al este esta hay'.split(' ')),
  french: new Set('le les des et est une un du que qui dans pour pas sur avec ce cette sont au aux vous nous il elle mais je'.split(' ')),
  german: new Set('der die das und ist nicht ein eine zu mit den dem sich auf für von auch es sie wir ich sind im oder aber wird'.split(' ')),
  italian: new Set('il lo gli della che e è di per con una un non sono nel alla delle anche più come questo questa ma si ha'.split(' ')),
  portuguese: new Set('o os as do da dos das que e é não em um uma para com por são mais também como mas no na ao seu sua'.split(' ')),
  dutch: new Set('de het een en van is niet dat op te zijn met voor ook maar die er als bij wordt hij zij ik wij je'.split(' ')),
};

const LANGUAGE_NAMES = [...Object.keys(SCRIPT_LANGUAGES), ...Object.keys(FUNCTION_WORDS)];
const LANGUAGE = `(${LANGUAGE_NAMES.join('|')})`;

function functionWordHits(text: string, language: string): number {
  const words = FUNCTION_WORDS[language];
  let hits = 0;
  for (const word of text.toLowerCase().match(WORD) ?? []) if (words.has(word)) hits++;
  return hits;
}

function letters(text: string): number {
  return (text.match(/\p{L}/gu) ?? []).length;
}

/** Why the answer is not in `language`, or undefined when it is (or too short to tell). */
export function languageProblem(answer: string, language: string): string | undefined {
  const total = letters(answer);
  if (total < 20) return undefined;
  const script = SCRIPT_LANGUAGES[language];
  if (script) {
    const share = (answer.match(script) ?? []).length / total;
    return share < 0.3 ? `the answer is not in ${capitalize(language)} (${Math.round(share * 100)}% of its letters in its script)` : undefined;
  }
  const latin = (answer.match(/\p{Script=Latin}/gu) ?? []).length / total;
  if (latin < 0.5) return `the answer is not in ${capitalize(language)} (mostly another script)`;
  const own = functionWordHits(answer, language);
  if (language === 'english') {
    const [other, hits] = Object.keys(FUNCTION_WORDS)
      .filter((name) => name !== 'english')
      .map((name) => [name, functionWordHits(answer, name)] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a));
    return hits >= 5 && hits > 2 * own ? `the answer is not in English (reads as ${capitalize(other)})` : undefined;
  }
  const english = functionWordHits(answer, 'english');
  return english >= 5 && english > own ? `the answer is not in ${capitalize(language)} (reads as English)` : undefined;
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

// ---------------------------------------------------------------------------------------------------
// Reading the prompt.

const compiled = new Map<string, RegExp>();
/** A pattern built from pieces, compiled once (matchAll copies a global pattern, so sharing one is safe). */
function re(source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let pattern = compiled.get(key);
  if (!pattern) compiled.set(key, (pattern = new RegExp(source, flags)));
  return pattern;
}

/** The prompt's clause around a match: from the last sentence break before it to the next one after it. */
function clauseAround(prompt: string, start: number, end: number): { before: string; clause: string } {
  let from = start;
  while (from > 0 && !/[.!?;\n]/.test(prompt[from - 1])) from--;
  let to = end;
  while (to < prompt.length && !/[.!?;\n]/.test(prompt[to])) to++;
  return { before: prompt.slice(from, start), clause: prompt.slice(from, to) };
}

/**
 * True when a verb at the end of `before` is addressed to the model ("Please list…", "Could you write…",
 * "Now rewrite…"), not part of a story ("If Tom gives 3 apples…", "Ann wanted to write a poem").
 */
function imperative(before: string): boolean {
  return /^[\s,:;"“(-]*(?:(?:please|now|also|then|and|so|kindly|first|next|finally|lastly|instead|can you|could you|would you|will you|i want you to|i'd like you to|i would like you to|i need you to|help me|let's|you should|you must)\b[\s,:;]*)*$/i.test(before);
}

const NEGATION = /\b(?:not|no need|never|without|instead of|rather than|avoid|needn't|don't|doesn't|isn't|aren't|shouldn't|mustn't)\b|n't\b/i;
/** Instructions that apply to each part of the answer, not the answer as a whole. */
const PER_PART = /\b(?:each|every|per|apiece)\b/i;

interface Found {
  kind: string;
  match: RegExpMatchArray & { index: number };
  clause: string;
  before: string;
}

function* findAll(prompt: string, pattern: RegExp, kind: string): Generator<Found> {
  for (const match of prompt.matchAll(pattern)) {
    const index = match.index ?? 0;
    const { before, clause } = clauseAround(prompt, index, index + match[0].length);
    yield { kind, match: match as Found['match'], clause, before };
  }
}

const quoted = /["“‘'`]([^"“”‘’'`\n]{1,80})["”’'`]/g;

/** Items of a keyword list: quoted strings when there are any, else short comma/"and"-separated words. */
function keywordList(text: string): string[] {
  const inQuotes = [...text.matchAll(quoted)].map((match) => match[1].trim()).filter(Boolean);
  if (inQuotes.length > 0) return inQuotes;
  const items = text
    .replace(/^[\s:]+/, '')
    .replace(/^(?:such as|like|including|namely)\s+/i, '')
    .split(/\s*(?:,|\band\b|\bor\b|\bnor\b|&)\s*/i)
    .map((item) => item.trim().replace(/[.;:!?]+$/, ''))
    .filter(Boolean);
  // Unquoted, only a list reads safely ("the keywords remarkable and harmony"); "include the word count" is no keyword.
  if (items.length < 2 || items.length > 6 || items.some((item) => item.split(/\s+/).length > 3)) return [];
  return items;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whole-word, case-insensitive occurrences of a keyword (a word may carry an inflection: "run" finds "runs"). */
function keywordCount(answer: string, keyword: string): number {
  const body = escapeRegExp(keyword.trim()).replace(/\s+/g, '\\s+');
  return (answer.match(new RegExp(`(?<![\\p{L}\\p{N}])${body}(?:s|es|ed|ing|er|est|ly|'s)?(?![\\p{L}\\p{N}])`, 'giu')) ?? []).length;
}

const normalize = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[*_#`>"“”‘’']/g, '')
    .replace(/\s+/g, ' ')
    .trim();

// Length instructions.
const LENGTH_UNITS: Record<string, { kind: string; count: (body: string) => number }> = {
  word: { kind: 'words', count: countWords },
  sentence: { kind: 'sentences', count: (body) => splitSentences(body).length },
  paragraph: { kind: 'paragraphs', count: (body) => splitParagraphs(body).length },
  line: { kind: 'lines', count: (body) => nonEmptyLines(body).length },
  character: { kind: 'characters', count: (body) => body.length },
};
const UNIT = '(words?|sentences?|paragraphs?|lines?|characters?)';
const AT_MOST = "(?:no more than|not more than|at most|up to|a maximum of|maximum of|max(?:imum)?|within|under|no longer than|shorter than|(?:do not|don't|must not|should not|shouldn't|not to|never) exceed(?:ing)?|not exceeding|limit(?:ed)? to|a limit of|below)";
const AT_LEAST = '(?:at least|no less than|no fewer than|a minimum of|minimum of|more than|over)';

type Comparison = 'lt' | 'le' | 'ge' | 'gt' | 'eq';
const describe = { lt: 'fewer than', le: 'at most', ge: 'at least', gt: 'more than', eq: 'exactly' } as const;

function lengthConstraint(kind: string, instruction: string, comparison: Comparison, limit: number, count: (body: string) => number): InstructionConstraint {
  return {
    kind,
    instruction,
    check(answer) {
      const value = count(answerBody(answer));
      const ok = comparison === 'lt' ? value < limit : comparison === 'le' ? value <= limit : comparison === 'ge' ? value >= limit : comparison === 'gt' ? value > limit : value === limit;
      return ok ? undefined : `the answer has ${value} ${kind}, asked for ${describe[comparison]} ${limit}`;
    },
  };
}

function unitOf(written: string): (typeof LENGTH_UNITS)[string] {
  return LENGTH_UNITS[written.toLowerCase().replace(/s$/, '')];
}

/** A statement about something other than the answer ("the text has more than 500 words"). */
const DESCRIBES_INPUT = /\b(?:has|have|had|contains?|contained|consists? of|is|are|was|were)\s*$/i;
/** …unless the clause is about the answer ("make sure your answer is under 100 words"). */
const ABOUT_ANSWER = /\b(?:your|response|answer|reply|output|make sure|ensure|keep|should|must)\b/i;
const describesInput = (before: string): boolean => DESCRIBES_INPUT.test(before) && !ABOUT_ANSWER.test(before);

/** Verbs (imperative) and nouns that make "in JSON" / "in a table" an instruction about the answer, not about the input. */
const PRODUCING = /\b(?:return|output|respond|reply|answer|format|present|provide|give|write|generate|produce|list|express|put|show|deliver|print|display|rewrite|convert|extract|summari[sz]e|transform|structure|organi[sz]e|create|make|encode|represent|compare|arrange|lay out|tabulate|include|response|result|results|output)\b/i;

function lengthInstructions(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  // Longer phrasings first ("no more than" before "more than", "no fewer than" before "fewer than"); a
  // match overlapping an earlier one is the same instruction read twice.
  const patterns: [RegExp, (match: RegExpMatchArray) => Comparison][] = [
    [re(`\\b${AT_MOST} ${NUM} ${UNIT}\\b`, 'gi'), () => 'le'],
    [re(`\\b(${AT_LEAST}) ${NUM} ${UNIT}\\b`, 'gi'), (match) => (/^(?:more than|over)$/i.test(match[1]) ? 'gt' : 'ge')],
    [re(`\\bexactly ${NUM} ${UNIT}\\b`, 'gi'), () => 'eq'],
    [re(`\\b(fewer|less) than ${NUM} ${UNIT}\\b`, 'gi'), () => 'lt'],
    [re(`\\b${NUM} ${UNIT} (?:or (?:less|fewer)|at most|max(?:imum)?|or under)\\b`, 'gi'), () => 'le'],
    [re(`\\b${NUM} ${UNIT} (?:or more|at least|minimum)\\b`, 'gi'), () => 'ge'],
  ];
  const seen = new Set<number>();
  const spans: [number, number][] = [];
  for (const [pattern, comparison] of patterns) {
    for (const found of findAll(prompt, pattern, 'length')) {
      const start = found.match.index;
      const end = start + found.match[0].length;
      if (spans.some(([from, to]) => start < to && end > from)) continue;
      spans.push([start, end]);
      const groups = found.match.slice(1).filter((group) => group !== undefined);
      const unitWritten = groups.at(-1)!;
      const countWritten = groups.at(-2)!;
      const limit = parseCount(countWritten);
      if (limit === undefined || limit <= 0) continue;
      if (PER_PART.test(found.clause) || describesInput(found.before)) continue;
      seen.add(found.match.index);
      const unit = unitOf(unitWritten);
      constraints.push(lengthConstraint(unit.kind, found.match[0], comparison(found.match), limit, unit.count));
    }
  }
  // "in 3 sentences", "in two paragraphs", "in 100 words", "a 100-word summary": an upper bound (with a
  // quarter of slack for a word count, which nobody writes to the word).
  const plain = re(`\\b(?:in|using|into) (?:only |just )?${NUM} ${UNIT}\\b`, 'gi');
  for (const found of findAll(prompt, plain, 'length')) {
    const limit = parseCount(found.match[1]);
    if (limit === undefined || limit <= 0 || PER_PART.test(found.clause)) continue;
    if ([...seen].some((index) => Math.abs(index - found.match.index) < 30)) continue;
    // "Explain it in a sentence" is a bound; "with a sentence that…", "start with a line", "four dogs sat in a line" are not.
    if (/^(?:an?|single|a single|one single)$/i.test(found.match[1])) {
      if (!/^in\b/i.test(found.match[0]) || /s$/i.test(found.match[2])) continue;
      const verb = found.before.match(/\b(?:explain|describe|summari[sz]e|answer|respond|reply|write|put|say|tell|state|give|express|define|sum up|capture|introduce)\b/i);
      if (!verb || !imperative(found.before.slice(0, verb.index))) continue;
    }
    const unit = unitOf(found.match[2]);
    const bound = unit.kind === 'words' || unit.kind === 'characters' ? Math.ceil(limit * 1.25) : limit;
    constraints.push(lengthConstraint(unit.kind, found.match[0], 'le', bound, unit.count));
  }
  const hyphenated = re(`\\b${NUM}[- ](word|sentence|paragraph|line)\\b(?= (?:summary|description|response|answer|reply|paragraph|story|essay|bio|biography|abstract|review|email|letter|post|explanation|overview|introduction|pitch|speech|poem|message|note|statement|passage|text|article))`, 'gi');
  for (const found of findAll(prompt, hyphenated, 'length')) {
    const limit = parseCount(found.match[1]);
    if (limit === undefined || limit <= 0 || PER_PART.test(found.clause)) continue;
    if (/\b(?:\d+|two|three|four|five|several|multiple|some)\s*$/i.test(found.before)) continue;
    // "Write a 100-word summary", not "How many pages does a 2,400-word story fill?".
    const verb = found.before.match(/\b(?:write|give|provide|compose|draft|create|produce|summari[sz]e|generate|craft|prepare|make|send|reply with|respond with|answer with)\b/i);
    if (!verb || !imperative(found.before.slice(0, verb.index))) continue;
    const unit = unitOf(found.match[2]);
    const bound = unit.kind === 'words' ? Math.ceil(limit * 1.25) : limit;
    constraints.push(lengthConstraint(unit.kind, found.match[0], 'le', bound, unit.count));
  }
  return constraints;
}

// List instructions.
const PLURAL_NOUN = "(?:[\\w'-]+s|people|children|men|women|criteria|phenomena|data|media)";
function listInstructions(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  const bulletPattern = re(`\\b(?:(exactly|at least|at most) )?(?:${NUM} )?bullet(?:ed)?(?:[- ]?(?:points?|list|form|format)|s)\\b`, 'gi');
  for (const found of findAll(prompt, bulletPattern, 'bullets')) {
    if (NEGATION.test(found.before) || describesInput(found.before)) continue;
    const written = found.match[2];
    const count = written !== undefined && !/^an?$/i.test(written) ? parseCount(written) : undefined;
    const modifier = found.match[1]?.toLowerCase();
    const perPart = PER_PART.test(found.clause);
    constraints.push({
      kind: 'bullets',
      instruction: found.match[0],
      check(answer) {
        const body = answerBody(answer);
        if (!hasListLines(body)) return 'the answer has no bullet points';
        if (count === undefined || perPart) return undefined;
        const items = topLevelItems(body);
        if (items === undefined) return undefined;
        const ok = modifier === 'at least' ? items >= count : modifier === 'at most' ? items <= count : items === count;
        return ok ? undefined : `the answer has ${items} bullet points, asked for ${modifier ?? ''}${modifier ? ' ' : ''}${count}`;
      },
    });
  }
  for (const found of findAll(prompt, /\bnumbered list\b/gi, 'numbered_list')) {
    if (NEGATION.test(found.before)) continue;
    constraints.push({
      kind: 'numbered_list',
      instruction: found.match[0],
      check: (answer) => (/^\s*(?:\*\*)?\d+[.)]\s+\S/m.test(answer) ? undefined : 'the answer has no numbered list'),
    });
  }
  const itemPattern = re(
    `\\b(?:list|give(?: me| us)?|name|provide(?: me| us)?|suggest|propose|recommend|identify|outline|brainstorm|share|offer|come up with|generate)\\s+(?:(exactly|at least|at most|only|up to) )?${NUM}\\s+(?:[\\w-]+\\s+){0,3}?${PLURAL_NOUN}\\b`,
    'gi',
  );
  for (const found of findAll(prompt, itemPattern, 'items')) {
    const count = parseCount(found.match[2]);
    if (count === undefined || count < 2 || count > 30) continue;
    if (PER_PART.test(found.clause) || NEGATION.test(found.before) || !imperative(found.before)) continue;
    // "give 3 paragraphs" is a length instruction, read above.
    if (re(`\\b${UNIT}\\b`, 'i').test(found.match[0].slice(found.match[0].toLowerCase().lastIndexOf(found.match[2].toLowerCase())))) continue;
    const modifier = found.match[1]?.toLowerCase();
    constraints.push({
      kind: 'items',
      instruction: found.match[0],
      check(answer) {
        const items = topLevelItems(answerBody(answer));
        if (items === undefined) return undefined;
        const ok = modifier === 'at least' ? items >= count : modifier === 'at most' || modifier === 'up to' ? items <= count : items === count;
        return ok ? undefined : `the answer lists ${items} items, asked for ${modifier && modifier !== 'only' ? `${modifier} ` : ''}${count}`;
      },
    });
  }
  return constraints;
}

// Format instructions: JSON, table, code block, title in << >>.
function formatInstructions(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  const json = [
    /\b(?:in|as|into|using) (?:a |an |the |valid |proper |strict )*json\b(?: format| object| string| array| file| structure)?/gi,
    /\bjson[- ]formatted\b|\bformat(?:ted)? (?:it |them |the \w+ |your \w+ )?(?:in|as) json\b|\bjson format\b/gi,
  ];
  const jsonFound = json.flatMap((pattern) => [...findAll(prompt, pattern, 'json')]).filter((found) => !NEGATION.test(found.before) && PRODUCING.test(found.clause.replace(found.match[0], ' ')));
  if (jsonFound.length > 0) {
    constraints.push({ kind: 'json', instruction: jsonFound[0].match[0], check: (answer) => (containsJson(answer) ? undefined : 'the answer holds no valid JSON') });
  }
  const table = [
    /\b(?:in|as|into|using|with) (?:a |an |the )?(?:markdown |simple |comparison |html |[\w-]+-column |tabular )?(?:table|tabular (?:form|format))\b(?! of contents| tennis)/gi,
    /\b(?:create|make|draw|produce|build|construct|generate|output|give me|provide) (?:a |an )(?:markdown |simple |comparison |html |[\w-]+-column )?table\b(?! of contents| tennis)/gi,
    /\btabulate\b/gi,
  ];
  const tableFound = table.flatMap((pattern) => [...findAll(prompt, pattern, 'table')]).filter((found) => !NEGATION.test(found.before) && PRODUCING.test(found.clause));
  if (tableFound.length > 0) {
    constraints.push({ kind: 'table', instruction: tableFound[0].match[0], check: (answer) => (hasTable(answer) ? undefined : 'the answer has no table') });
  }
  for (const found of findAll(prompt, /\b(?:in|inside|within|wrap(?:ped)? in|using|use) (?:a |one |the )?(?:markdown )?code ?block\b/gi, 'code_block')) {
    if (NEGATION.test(found.before)) continue;
    constraints.push({ kind: 'code_block', instruction: found.match[0], check: (answer) => (/```/.test(answer) ? undefined : 'the answer has no code block') });
    break;
  }
  for (const found of findAll(prompt, /\bdouble angular brackets\b|<<title>>/gi, 'title')) {
    constraints.push({ kind: 'title', instruction: found.match[0], check: (answer) => (/<<[^<>\n]+>>/.test(answer) ? undefined : 'the answer has no <<title>>') });
    break;
  }
  return constraints;
}

// Language of the answer.
function languageInstructions(prompt: string): InstructionConstraint[] {
  const notTopic = '(?! (?:culture|history|cuisine|food|people|literature|art|music|politics|cities|city|speakers|speaking|grammar|class|course|revolution|style|government|movies|films|market|economy|society|traditions?|words?|idioms?|expressions?|phrases?|names?|dialects?|accent|word order|version|text|original|translation|sentence|poem|song|novel|book|author|writer)\\b)';
  const patterns = [
    re(`\\b(?:respond|answer|reply|write|rewrite|translate|explain|speak|output|provide|give|describe|summari[sz]e|compose|tell|talk)\\b[^.?!\\n]{0,60}?\\b(?:in|into) ${LANGUAGE}${notTopic}\\b`, 'gi'),
    re(`\\b(?:response|answer|reply|output)\\s+(?:should|must|needs to|has to)\\s+be\\s+(?:written\\s+)?(?:entirely\\s+|only\\s+|fully\\s+)?in\\s+${LANGUAGE}\\b`, 'gi'),
    re(`\\b(?:only|solely|exclusively|entirely) in ${LANGUAGE}\\b|\\bin ${LANGUAGE} only\\b`, 'gi'),
  ];
  for (const pattern of patterns) {
    for (const found of findAll(prompt, pattern, 'language')) {
      // "How do you say 'hello' in French?", "explain the difference between 'ser' and 'estar' in Spanish": a question about the language.
      // "Only in English" needs someone answering ("respond only in English"), not "students good at English only".
      if (pattern === patterns[2] && !/\b(?:respond|answer|reply|write|speak|talk|communicate|response|output|use|translate)\b/i.test(found.clause)) continue;
      if (NEGATION.test(found.before) || (pattern === patterns[0] && !imperative(found.before)) || /\b(?:how (?:do|would|to|does)|what (?:is|does|are)|mean|meaning|difference|pronounc\w*|grammar|words?|verbs?|phrases?|expressions?|idioms?)\b|["“‘]/i.test(found.clause)) continue;
      // "Translate from French into English": the target is the language after "into".
      const into = [...found.match[0].matchAll(re(`\\binto ${LANGUAGE}`, 'gi'))].at(-1);
      const language = (into?.[1] ?? found.match.slice(1).find((group) => group !== undefined)!).toLowerCase();
      return [{ kind: 'language', instruction: found.match[0], check: (answer) => languageProblem(answerBody(answer), language) }];
    }
  }
  return [];
}

// How the answer starts and ends.
function startEndInstructions(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  // The letter is quoted, named ("the letter a") or a capital ("with A"): "with a capital letter" is not one.
  const letter = `with (?:(the letter |letter )|an? )?(["“'‘]?)([a-z])["”'’]?(?![\\w'’])`;
  const letterStart = re(`\\b(?:start|begin)s?\\b[^.?!\\n]{0,20}?\\b(?:every|each|all(?: of)?(?: the| your)?) (sentences?|words?|lines?)\\b[^.?!\\n]{0,20}?\\b${letter}`, 'gi');
  const letterStartPassive = re(`\\b(?:every|each|all) (sentences?|words?|lines?) (?:should|must|has to|needs to|have to)? ?(?:start|begin)s? ${letter}`, 'gi');
  for (const pattern of [letterStart, letterStartPassive]) {
    for (const found of findAll(prompt, pattern, 'starts_with_letter')) {
      const [, unitWritten, named, quote, written] = found.match;
      if (NEGATION.test(found.before) || (!named && !quote && written !== written.toUpperCase())) continue;
      const unit = unitWritten.toLowerCase().replace(/s$/, '');
      const letter = written.toLowerCase();
      constraints.push({
        kind: 'starts_with_letter',
        instruction: found.match[0],
        check(answer) {
          const body = answerBody(answer);
          const parts = unit === 'sentence' ? splitSentences(body) : unit === 'line' ? nonEmptyLines(body).map(plainLine) : (body.match(WORD) ?? []);
          const openings = parts.map((part) => part.match(/\p{L}/u)?.[0]?.toLowerCase()).filter((value) => value !== undefined);
          if (openings.length === 0) return undefined;
          const wrong = openings.filter((value) => value !== letter).length;
          return wrong / openings.length > 0.1 ? `${wrong} of ${openings.length} ${unit}s do not start with "${letter.toUpperCase()}"` : undefined;
        },
      });
      return constraints.concat(startEndPhrases(prompt));
    }
  }
  return constraints.concat(startEndPhrases(prompt));
}

function startEndPhrases(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  const notSubject = /\b(?:that|which|who|whose|words?|names?|letters?|sentences?|lines?|numbers?|items?)\s*$/i;
  const phrase = `(?:the (?:exact )?(?:word|words|phrase|sentence|line|question)s?:?\\s*)?["“‘]([^"“”‘’\\n]{1,120})["”’]`;
  for (const found of findAll(prompt, re(`\\b(?:start|begin|open)(?:s|ning)?\\b(?: (?:your|the|it|this|each|every) ?(?:response|answer|reply|story|poem|letter|email|essay|text|post|speech|message)?)?\\s*with ${phrase}`, 'gi'), 'starts_with')) {
    if (NEGATION.test(found.before) || notSubject.test(found.before) || PER_PART.test(found.match[0])) continue;
    const wanted = normalize(found.match[1]);
    if (!wanted) continue;
    constraints.push({
      kind: 'starts_with',
      instruction: found.match[0],
      check: (answer) => (normalize(answer).slice(0, wanted.length + 200).includes(wanted.slice(0, 80)) ? undefined : `the answer does not start with "${found.match[1]}"`),
    });
  }
  for (const found of findAll(prompt, /\b(?:start|begin)(?:s|ning)? with the (?:sentence|line|phrase|words?):\s*([^\n"“”]{3,200})/gi, 'starts_with')) {
    if (NEGATION.test(found.before) || notSubject.test(found.before) || constraints.some((constraint) => constraint.kind === 'starts_with')) continue;
    const wanted = normalize(found.match[1]).replace(/[.!?]+$/, '');
    constraints.push({
      kind: 'starts_with',
      instruction: found.match[0],
      check: (answer) => (normalize(answer).slice(0, wanted.length + 200).includes(wanted.slice(0, 80)) ? undefined : `the answer does not start with "${found.match[1].trim()}"`),
    });
  }
  for (const found of findAll(prompt, re(`\\b(?:end|finish|conclude|close)(?:s|ing)?\\b(?: (?:your|the|it|this) ?(?:response|answer|reply|story|poem|letter|email|essay|text|post|speech|message)?)?\\s*with ${phrase}`, 'gi'), 'ends_with')) {
    if (NEGATION.test(found.before) || notSubject.test(found.before) || PER_PART.test(found.match[0])) continue;
    const wanted = normalize(found.match[1]).replace(/[.!?]+$/, '');
    if (!wanted) continue;
    constraints.push({
      kind: 'ends_with',
      instruction: found.match[0],
      check: (answer) => (normalize(answer).slice(-(wanted.length + 40)).includes(wanted) ? undefined : `the answer does not end with "${found.match[1]}"`),
    });
  }
  for (const found of findAll(prompt, /\b(?:end|finish|conclude|close)(?:s|ing)?\b[^.?!\n]{0,30}?\bwith a question\b/gi, 'ends_with_question')) {
    if (NEGATION.test(found.before)) continue;
    constraints.push({
      kind: 'ends_with_question',
      instruction: found.match[0],
      check: (answer) => (/\?[\s"”'’*_)\]\p{Extended_Pictographic}]*$/u.test(answer.trim()) ? undefined : 'the answer does not end with a question'),
    });
  }
  for (const found of findAll(prompt, /\bwrap (?:your |the )?(?:entire |whole )?(?:response|answer|reply|output) (?:with|in|inside) double quot/gi, 'quoted')) {
    constraints.push({ kind: 'quoted', instruction: found.match[0], check: (answer) => (/^["“][\s\S]*["”]$/.test(answer.trim()) ? undefined : 'the answer is not wrapped in double quotes') });
    break;
  }
  for (const found of findAll(prompt, /\b(?:add|include|end with|write|append)\b[^.?!\n]{0,30}?(?:\bp\.\s?s\.|\bpostscript\b)/gi, 'postscript')) {
    if (NEGATION.test(found.before)) continue;
    constraints.push({ kind: 'postscript', instruction: found.match[0], check: (answer) => (/\bP\.\s?S\./i.test(answer) ? undefined : 'the answer has no P.S.') });
    break;
  }
  return constraints;
}

// Words the answer must or must not use.
function keywordInstructions(prompt: string): InstructionConstraint[] {
  const constraints: InstructionConstraint[] = [];
  const forbidden = /\b(?:do not|don't|never|avoid|without|refrain from|must not|should not|shouldn't|cannot|can't|no)\b(?: (?:use|using|say|saying|mention|mentioning|include|including|write|writing))?(?: the| any of the| any)? (?:key ?words?|words?|terms?|phrases?)\b([^.?!;\n]*)/gi;
  const forbiddenAt = new Set<number>();
  for (const found of findAll(prompt, forbidden, 'forbidden_words')) {
    const words = keywordList(found.match[1]);
    if (words.length === 0) continue;
    forbiddenAt.add(found.match.index);
    constraints.push({
      kind: 'forbidden_words',
      instruction: found.match[0].trim(),
      check(answer) {
        const used = words.filter((word) => keywordCount(answer, word) > 0);
        return used.length ? `the answer uses ${used.map((word) => `"${word}"`).join(', ')}` : undefined;
      },
    });
  }
  const required = /\b(?:include|use|incorporate|contain|mention)s?\b(?: the| these| all(?: of)? the| all)? (?:key ?words?|words?|terms?|phrases?)\b([^.?!;\n]*)/gi;
  for (const found of findAll(prompt, required, 'keywords')) {
    if (NEGATION.test(found.before) || [...forbiddenAt].some((index) => Math.abs(index - found.match.index) < 40)) continue;
    const words = keywordList(found.match[1]);
    if (words.length === 0) continue;
    constraints.push({
      kind: 'keywords',
      instruction: found.match[0].trim(),
      check(answer) {
        const missing = words.filter((word) => keywordCount(answer, word) === 0);
        return missing.length ? `the answer lacks ${missing.map((word) => `"${word}"`).join(', ')}` : undefined;
      },
    });
  }
  const times = re(`\\bthe (?:word|keyword|term) ["“'‘]?([\\p{L}\\p{N}'-]+)["”'’]? (?:should|must|needs to|has to)? ?(?:appear|be used|occur) (at least|at most|exactly)? ?${NUM} times?\\b`, 'giu');
  for (const found of findAll(prompt, times, 'keyword_frequency')) {
    const limit = parseCount(found.match[3]);
    if (limit === undefined) continue;
    const word = found.match[1];
    const modifier = (found.match[2] ?? 'at least').toLowerCase();
    constraints.push({
      kind: 'keyword_frequency',
      instruction: found.match[0],
      check(answer) {
        const count = keywordCount(answer, word);
        const ok = modifier === 'at most' ? count <= limit : modifier === 'exactly' ? count === limit : count >= limit;
        return ok ? undefined : `"${word}" appears ${count} times, asked for ${modifier} ${limit}`;
      },
    });
  }
  for (const found of findAll(prompt, /\b(?:do not|don't|without|avoid|never|no)\b(?: (?:use|using|include|including))?(?: any)? commas?\b/gi, 'no_commas')) {
    constraints.push({ kind: 'no_commas', instruction: found.match[0], check: (answer) => (/[,，]/.test(answer) ? 'the answer uses commas' : undefined) });
    break;
  }
  for (const found of findAll(prompt, /\b(?:do not|don't|without|avoid|never)\b(?: (?:use|using|include|including))?(?: the)? letter ["“'‘]?([a-z])["”'’]?(?![\w])/gi, 'forbidden_letter')) {
    const letter = found.match[1].toLowerCase();
    constraints.push({ kind: 'forbidden_letter', instruction: found.match[0], check: (answer) => (answer.toLowerCase().includes(letter) ? `the answer uses the letter "${letter}"` : undefined) });
    break;
  }
  return constraints;
}

// Letter case.
function caseInstructions(prompt: string): InstructionConstraint[] {
  const upperShare = (answer: string): number | undefined => {
    const cased = (answer.match(/[\p{Lu}\p{Ll}]/gu) ?? []).length;
    return cased < 10 ? undefined : (answer.match(/\p{Lu}/gu) ?? []).length / cased;
  };
  const upper = /\b(?:in |using |with |write (?:it |everything )?in )?(?:all (?:capital|uppercase|upper-case|caps)(?: letters)?|all caps|(?:only |entirely in )?(?:capital|uppercase) letters only|only (?:capital|uppercase) letters|entirely in (?:uppercase|capitals|caps))\b/gi;
  // "Write the title in all caps" constrains the title, not the answer.
  const part = /\b(?:titles?|headings?|headers?|names?|words?|first|acronyms?|abbreviations?|keys?|labels?|variables?|constants?|columns?)\b/i;
  for (const found of findAll(prompt, upper, 'uppercase')) {
    if (NEGATION.test(found.before) || part.test(found.before)) continue;
    return [{ kind: 'uppercase', instruction: found.match[0].trim(), check: (answer) => ((upperShare(answer) ?? 1) < 0.9 ? 'the answer is not in capital letters' : undefined) }];
  }
  const lower = /\b(?:all lower-?case(?: letters)?|lower-?case letters only|only lower-?case(?: letters)?|entirely in lower-?case|in lower-?case(?: letters)?|no capital letters(?: at all)?|without (?:any )?capital letters)\b/gi;
  for (const found of findAll(prompt, lower, 'lowercase')) {
    if (/\b(?:not|don't|never)\b/i.test(found.before) || part.test(found.before)) continue;
    return [{ kind: 'lowercase', instruction: found.match[0], check: (answer) => ((upperShare(answer) ?? 0) > 0.02 ? 'the answer uses capital letters' : undefined) }];
  }
  return [];
}

// Verse forms: asked for a poem, got prose.
const VERSE_LINES: Record<string, number> = { limerick: 5, haiku: 3, sonnet: 12, poem: 4, verse: 4, rhyme: 4, song: 4, rap: 4, ballad: 4 };
function verseInstructions(prompt: string): InstructionConstraint[] {
  const form = '(limericks?|haikus?|sonnets?|poems?|ballads?|rap songs?|songs?|rhymes?|verse)';
  const skip = new Set(['about', 'on', 'of', 'for', 'from', 'analyzing', 'analysing', 'comparing', 'regarding', 'explaining', 'describing', 'with', 'the', 'this', 'that', 'these', 'your', 'my', 'his', 'her', 'their', 'to', 'in', 'and']);
  const patterns = [
    re(`\\b(?:write|compose|craft|create|generate|give me|make up|pen)(?: me| us)? (?:a |an |one |two |three |\\d+ |some )?((?:[\\w-]+ ){0,2})${form}\\b`, 'gi'),
    re(`\\b(?:(?:as|into|in the form of) (?:a |an )((?:[\\w-]+ ){0,1})${form}|in ()(verse|rhyme|rhyming couplets|rhyming verse))\\b`, 'gi'),
  ];
  for (const [position, pattern] of patterns.entries()) {
    for (const found of findAll(prompt, pattern, 'verse')) {
      if (NEGATION.test(found.before) || (position === 0 && !imperative(found.before))) continue;
      const between = (found.match[1] ?? found.match[3] ?? '').trim().toLowerCase().split(/\s+/).filter(Boolean);
      if (between.some((word) => skip.has(word))) continue;
      // "in verse"/"as a poem" needs a verb that turns the answer into one ("rewrite it as a poem", "explain in verse").
      if (position === 1 && !/\b(?:write|rewrite|turn|convert|put|express|respond|answer|reply|explain|describe|summari[sz]e|tell|retell|present|recast|transform|redo|do)\b/i.test(found.before)) continue;
      const written = (found.match[2] ?? found.match[4]).toLowerCase();
      const name = written.startsWith('rap') ? 'rap' : written.startsWith('rhym') ? 'rhyme' : written.replace(/s$/, '');
      const minimum = VERSE_LINES[name] ?? 4;
      return [
        {
          kind: 'verse',
          instruction: found.match[0],
          check(answer) {
            const lines = nonEmptyLines(answerBody(answer)).filter((line) => !/^#{1,6}\s/.test(line) && !line.endsWith(':'));
            const verse = lines.filter((line) => plainLine(line).length <= 100);
            return verse.length < minimum ? `the answer is not written as a ${name} (${verse.length} short lines)` : undefined;
          },
        },
      ];
    }
  }
  return [];
}

// Short answers: yes/no, one word.
function shortAnswerInstructions(prompt: string): InstructionConstraint[] {
  const yesNo = /\b(?:(?:answer|respond|reply)(?: only| just| simply)?(?: with)?|(?:only|just|simply) (?:say|answer|respond|reply)(?: with)?) (?:a )?(?:simple )?(?:["“']?yes["”']? or ["“']?no["”']?|yes\/no)\b/gi;
  for (const found of findAll(prompt, yesNo, 'yes_no')) {
    if (NEGATION.test(found.before)) continue;
    return [{ kind: 'yes_no', instruction: found.match[0], check: (answer) => (/^[\s"“'*_#>]*(yes|no)\b/i.test(answer) ? undefined : 'the answer does not start with yes or no') }];
  }
  const oneWord = /\b(?:answer|respond|reply)(?: only| just)? (?:with|in|using) (?:a single|one|only one|just one|a) word\b|\bone-word (?:answer|response|reply)\b/gi;
  for (const found of findAll(prompt, oneWord, 'one_word')) {
    if (NEGATION.test(found.before) || PER_PART.test(found.clause)) continue;
    return [{ kind: 'one_word', instruction: found.match[0], check: (answer) => (countWords(answer) > 3 ? `the answer has ${countWords(answer)} words, asked for one` : undefined) }];
  }
  return [];
}

/** Characters read at each end of a long prompt: instructions sit before or after the material they are about. */
const PROMPT_END_CHARS = 4000;

/** Prompt text the instructions are read from: code blocks (data, not instructions) left out; of a long prompt, its two ends. */
function instructionText(prompt: string): string {
  const text = prompt.replace(/```[\s\S]*?(?:```|$)/g, ' ');
  return text.length <= 2 * PROMPT_END_CHARS ? text : `${text.slice(0, PROMPT_END_CHARS)}\n${text.slice(-PROMPT_END_CHARS)}`;
}

/** The checkable instructions of a prompt (usually the last user message). */
export function extractInstructions(prompt: string): InstructionConstraint[] {
  const text = instructionText(prompt);
  if (!text.trim()) return [];
  return [
    ...lengthInstructions(text),
    ...listInstructions(text),
    ...formatInstructions(text),
    ...languageInstructions(text),
    ...startEndInstructions(text),
    ...keywordInstructions(text),
    ...caseInstructions(text),
    ...verseInstructions(text),
    ...shortAnswerInstructions(text),
  ];
}

/** The instructions found in `prompt` and those `answer` breaks. */
export function checkInstructions(prompt: string, answer: string): InstructionReport {
  const constraints = extractInstructions(prompt);
  const violated: InstructionViolation[] = [];
  for (const constraint of constraints) {
    const detail = constraint.check(answer);
    if (detail !== undefined) violated.push({ kind: constraint.kind, instruction: constraint.instruction, detail });
  }
  return { found: constraints.map(({ kind, instruction }) => ({ kind, instruction })), violated };
}
