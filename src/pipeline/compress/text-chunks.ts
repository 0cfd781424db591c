/**
 * Splits text into the units extractive compression keeps or drops: sentences of prose, and whole
 * fenced code blocks and JSON blocks (atomic — cutting them in half breaks them). Offsets index into
 * the original string so the compressor can rebuild the kept text with its own whitespace.
 */

/** One keep-or-drop unit of a text. */
export interface TextChunk {
  /** Offset of the first character in the source text. */
  start: number;
  /** Offset one past the last character. */
  end: number;
  kind: 'sentence' | 'code' | 'json';
  /** Index of the paragraph (blank-line separated block) the chunk belongs to, within its text. */
  paragraph: number;
}

const FENCE_OPEN = /^[ \t]{0,3}(`{3,}|~{3,})/gm;
/** Sentences longer than this are cut at word boundaries so one run-on line cannot eat a budget whole. */
const MAX_SENTENCE_CHARS = 600;
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'vs', 'jr', 'sr', 'inc', 'co', 'no', 'fig', 'etc', 'e.g', 'i.e', 'approx', 'ca', 'vol',
]);

/** Splits `text` into ordered, non-overlapping chunks covering its non-blank content. */
export function splitIntoChunks(text: string): TextChunk[] {
  const chunks: TextChunk[] = [];
  const state = { paragraph: 0 };
  let cursor = 0;
  FENCE_OPEN.lastIndex = 0;
  for (let match = FENCE_OPEN.exec(text); match; match = FENCE_OPEN.exec(text)) {
    if (match.index < cursor) continue;
    const fence = match[1];
    const closer = new RegExp(`^[ \\t]{0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`, 'm');
    const bodyStart = text.indexOf('\n', match.index);
    // An unterminated fence runs to the end of the text, as Markdown renders it.
    let end = text.length;
    if (bodyStart !== -1) {
      const rest = text.slice(bodyStart + 1);
      const close = closer.exec(rest);
      if (close) end = bodyStart + 1 + close.index + close[0].length;
    }
    splitProse(text, cursor, match.index, chunks, state);
    state.paragraph++;
    chunks.push({ start: match.index, end, kind: 'code', paragraph: state.paragraph++ });
    cursor = end;
    FENCE_OPEN.lastIndex = end;
  }
  splitProse(text, cursor, text.length, chunks, state);
  return chunks;
}

/** Prose between code fences: JSON blocks whole, the rest by paragraph and sentence. */
function splitProse(text: string, from: number, to: number, chunks: TextChunk[], state: { paragraph: number }): void {
  let lineStart = from;
  let runStart = -1;
  let runEnd = -1;
  const flush = (): void => {
    if (runStart !== -1) splitSentences(text, runStart, runEnd, state.paragraph, chunks);
    runStart = -1;
  };
  while (lineStart < to) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > to) lineEnd = to;
    const firstNonSpace = skipSpaces(text, lineStart, lineEnd);
    if (firstNonSpace === lineEnd) {
      if (runStart !== -1) {
        flush();
        state.paragraph++;
      }
      lineStart = lineEnd + 1;
      continue;
    }
    const opener = text[firstNonSpace];
    if (opener === '{' || opener === '[') {
      const jsonEnd = jsonBlockEnd(text, firstNonSpace, to);
      if (jsonEnd !== -1) {
        flush();
        chunks.push({ start: firstNonSpace, end: jsonEnd, kind: 'json', paragraph: state.paragraph });
        const next = text.indexOf('\n', jsonEnd);
        lineStart = next === -1 || next > to ? to : next + 1;
        continue;
      }
    }
    if (runStart === -1) runStart = firstNonSpace;
    runEnd = trimEnd(text, firstNonSpace, lineEnd);
    lineStart = lineEnd + 1;
  }
  flush();
}

/**
 * If a balanced JSON value starts at `start`, ends at the end of a line and parses, returns its end
 * offset; otherwise -1. Strings are respected so braces inside them do not count.
 */
function jsonBlockEnd(text: string, start: number, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < limit; index++) {
    const character = text.charCodeAt(index);
    if (inString) {
      if (character === 92 /* \ */) index++;
      else if (character === 34 /* " */) inString = false;
      continue;
    }
    if (character === 34) inString = true;
    else if (character === 123 || character === 91) depth++;
    else if (character === 125 || character === 93) {
      depth--;
      if (depth === 0) {
        const end = index + 1;
        const lineEnd = text.indexOf('\n', end);
        const tail = text.slice(end, lineEnd === -1 || lineEnd > limit ? limit : lineEnd);
        if (tail.trim() !== '') return -1;
        try {
          JSON.parse(text.slice(start, end));
          return end;
        } catch {
          return -1;
        }
      }
      if (depth < 0) return -1;
    }
  }
  return -1;
}

function splitSentences(text: string, from: number, to: number, paragraph: number, chunks: TextChunk[]): void {
  let sentenceStart = from;
  for (let index = from; index < to; index++) {
    const character = text[index];
    if (character === '\n') {
      // Hard-wrapped prose continues across lines; list items, headings, quotes and table rows do not.
      const previousLine = text.lastIndexOf('\n', index - 1) + 1;
      const nextLine = skipSpaces(text, index + 1, to);
      if (startsBlockLine(text, Math.max(previousLine, from)) || startsBlockLine(text, nextLine)) {
        pushSentence(text, sentenceStart, trimEnd(text, sentenceStart, index), paragraph, chunks);
        sentenceStart = nextLine;
        index = nextLine - 1;
      }
      continue;
    }
    if (character !== '.' && character !== '!' && character !== '?') continue;
    let after = index + 1;
    while (after < to && /["')\]]/.test(text[after])) after++;
    if (after >= to || (text[after] !== ' ' && text[after] !== '\t' && text[after] !== '\n')) continue;
    if (character === '.' && isAbbreviation(text, sentenceStart, index)) continue;
    pushSentence(text, sentenceStart, after, paragraph, chunks);
    sentenceStart = skipSpaces(text, after, to);
    index = sentenceStart - 1;
  }
  if (sentenceStart < to) pushSentence(text, sentenceStart, to, paragraph, chunks);
}

const BLOCK_LINE = /^[ \t]*(?:[-*+•#>|]|\d{1,3}[.)][ \t])/y;

function startsBlockLine(text: string, lineStart: number): boolean {
  BLOCK_LINE.lastIndex = lineStart;
  return BLOCK_LINE.test(text);
}

function pushSentence(text: string, start: number, end: number, paragraph: number, chunks: TextChunk[]): void {
  while (end - start > MAX_SENTENCE_CHARS) {
    let cut = text.lastIndexOf(' ', start + MAX_SENTENCE_CHARS);
    if (cut <= start) cut = start + MAX_SENTENCE_CHARS;
    chunks.push({ start, end: cut, kind: 'sentence', paragraph });
    start = skipSpaces(text, cut, end);
  }
  if (end > start) chunks.push({ start, end, kind: 'sentence', paragraph });
}

function isAbbreviation(text: string, sentenceStart: number, dot: number): boolean {
  let wordStart = dot;
  while (wordStart > sentenceStart && /[\p{L}.]/u.test(text[wordStart - 1])) wordStart--;
  const word = text.slice(wordStart, dot).toLowerCase();
  // Initials ("J. R. R. Tolkien", "U.S.") and the usual short forms do not end a sentence.
  return word.length === 1 || ABBREVIATIONS.has(word) || word.includes('.');
}

function skipSpaces(text: string, from: number, to: number): number {
  let index = from;
  while (index < to && (text[index] === ' ' || text[index] === '\t' || text[index] === '\r' || text[index] === '\n')) index++;
  return index;
}

function trimEnd(text: string, from: number, to: number): number {
  let index = to;
  while (index > from && (text[index - 1] === ' ' || text[index - 1] === '\t' || text[index - 1] === '\r')) index--;
  return index;
}
