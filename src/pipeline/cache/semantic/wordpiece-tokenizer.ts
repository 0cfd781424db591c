/**
 * A WordPiece tokenizer built from a Hugging Face `tokenizer.json` — the BERT-style pipeline the
 * English static embedding models use: a normalizer (BERT's: clean control characters, space out CJK
 * characters, lowercase, strip accents), a pre-tokenizer (whitespace, punctuation as its own token),
 * then greedy longest-match-first WordPiece with a `##` continuation prefix. Other tokenizer kinds
 * (BPE, Unigram, byte-level) are refused by name when the file is read, never approximated.
 */
export interface WordPieceTokenizer {
  /** Token ids of a text, without special tokens; unknown words are left out. */
  encode(text: string): number[];
  vocabSize: number;
}

interface NormalizerSpec {
  type?: string;
  lowercase?: boolean;
  strip_accents?: boolean | null;
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  normalizers?: NormalizerSpec[];
}

interface PreTokenizerSpec {
  type?: string;
  pretokenizers?: PreTokenizerSpec[];
}

type Normalize = (text: string) => string;
type PreTokenize = (words: string[]) => string[];

/** Reads `tokenizer.json`'s parsed content; throws naming the part Frugal cannot run. */
export function wordPieceTokenizer(spec: unknown): WordPieceTokenizer {
  const root = spec as { model?: { type?: string; vocab?: unknown; unk_token?: unknown; continuing_subword_prefix?: unknown; max_input_chars_per_word?: unknown }; normalizer?: NormalizerSpec | null; pre_tokenizer?: PreTokenizerSpec | null };
  const model = root?.model;
  if (!model || typeof model !== 'object') throw new Error('it has no `model` section');
  if (model.type !== 'WordPiece') {
    throw new Error(`its model is ${String(model.type)}; Frugal runs WordPiece tokenizers only (the BERT-style vocabularies of English static embedding models)`);
  }
  if (!model.vocab || typeof model.vocab !== 'object' || Array.isArray(model.vocab)) throw new Error('its WordPiece model has no vocab object');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new Error(`vocab entry ${JSON.stringify(token)} has id ${String(id)}`);
    vocab.set(token, id as number);
  }
  const prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
  const maxChars = typeof model.max_input_chars_per_word === 'number' ? model.max_input_chars_per_word : 100;
  const unknown = typeof model.unk_token === 'string' ? vocab.get(model.unk_token) : undefined;
  const normalize = buildNormalizer(root.normalizer ?? null);
  const preTokenize = buildPreTokenizer(root.pre_tokenizer ?? null);

  const wordIds = (word: string, out: number[]) => {
    const characters = [...word];
    if (characters.length > maxChars) return;
    const pieces: number[] = [];
    let start = 0;
    while (start < characters.length) {
      let end = characters.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? prefix : '') + characters.slice(start, end).join('');
        found = vocab.get(piece);
        if (found !== undefined) break;
        end -= 1;
      }
      // One piece no vocabulary entry covers makes the whole word unknown (WordPiece's rule).
      if (found === undefined) return;
      pieces.push(found);
      start = end;
    }
    for (const id of pieces) if (id !== unknown) out.push(id);
  };

  return {
    vocabSize: vocab.size,
    encode(text) {
      const ids: number[] = [];
      for (const word of preTokenize([normalize(text)])) if (word.length > 0) wordIds(word, ids);
      return ids;
    },
  };
}

function buildNormalizer(spec: NormalizerSpec | null): Normalize {
  if (spec === null) return (text) => text;
  switch (spec.type) {
    case 'BertNormalizer': {
      const lowercase = spec.lowercase !== false;
      // BERT strips accents when `strip_accents` is unset and it lowercases.
      const stripAccents = spec.strip_accents ?? lowercase;
      const clean = spec.clean_text !== false;
      const chinese = spec.handle_chinese_chars !== false;
      return (text) => {
        let out = text;
        if (clean) out = cleanText(out);
        if (chinese) out = out.replace(CJK, (character) => ` ${character} `);
        if (stripAccents) out = removeAccents(out);
        if (lowercase) out = out.toLowerCase();
        return out;
      };
    }
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'StripAccents':
      return removeAccents;
    case 'NFD':
    case 'NFC':
    case 'NFKD':
    case 'NFKC': {
      const form = spec.type;
      return (text) => text.normalize(form);
    }
    case 'Sequence': {
      const steps = (spec.normalizers ?? []).map(buildNormalizer);
      return (text) => steps.reduce((current, step) => step(current), text);
    }
    default:
      throw new Error(`its normalizer ${String(spec.type)} is not one Frugal runs (BertNormalizer, Lowercase, StripAccents, NFC/NFD/NFKC/NFKD, Sequence)`);
  }
}

function buildPreTokenizer(spec: PreTokenizerSpec | null): PreTokenize {
  if (spec === null) return (words) => words.flatMap((word) => word.split(WHITESPACE));
  switch (spec.type) {
    case 'BertPreTokenizer':
      return (words) => words.flatMap((word) => word.split(WHITESPACE).flatMap(splitPunctuation));
    case 'WhitespaceSplit':
      return (words) => words.flatMap((word) => word.split(WHITESPACE));
    case 'Whitespace':
      return (words) => words.flatMap((word) => word.match(WORD_OR_SYMBOLS) ?? []);
    case 'Punctuation':
      return (words) => words.flatMap(splitPunctuation);
    case 'Sequence': {
      const steps = (spec.pretokenizers ?? []).map(buildPreTokenizer);
      return (words) => steps.reduce((current, step) => step(current), words);
    }
    default:
      throw new Error(`its pre-tokenizer ${String(spec.type)} is not one Frugal runs (BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Sequence)`);
  }
}

const WHITESPACE = /\s+/u;
const WORD_OR_SYMBOLS = /\w+|[^\w\s]+/gu;
/** BERT's punctuation: ASCII symbols and every Unicode punctuation character. */
const PUNCTUATION = /[!-/:-@[-`{-~]|\p{P}/u;
const CJK = /[\u{4E00}-\u{9FFF}\u{3400}-\u{4DBF}\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\u{F900}-\u{FAFF}\u{2F800}-\u{2FA1F}]/gu;

function splitPunctuation(word: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const character of word) {
    if (PUNCTUATION.test(character)) {
      if (current) out.push(current);
      out.push(character);
      current = '';
    } else current += character;
  }
  if (current) out.push(current);
  return out;
}

/** BERT's clean-up: control characters and U+FFFD dropped, every whitespace character a space. */
function cleanText(text: string): string {
  let out = '';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    if (code === 0 || code === 0xfffd) continue;
    if (/\s/u.test(character)) out += ' ';
    else if (/\p{Cc}|\p{Cf}/u.test(character)) continue;
    else out += character;
  }
  return out;
}

function removeAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '');
}
