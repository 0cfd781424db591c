/**
 * A fast token estimate calibrated against gpt-tokenizer's o200k encoding, for budgeting chunks
 * (exact BPE on every sentence would take most of the compressor's time). Measured against
 * `countTokens`: within 1% on Wikipedia prose and Markdown, +8% on TypeScript, −5% on pretty JSON;
 * about 8% mean error on a single sentence. Exact counts are still used for reported before/after.
 */

const enum Kind {
  Space,
  Letter,
  Digit,
  Symbol,
}

const NON_ASCII_LETTER = /[\p{L}\p{M}]/u;
const NON_ASCII_DIGIT = /\p{N}/u;

function kindOf(code: number, text: string, index: number): Kind {
  if (code < 128) {
    if (code === 32 || code === 9 || code === 10 || code === 13) return Kind.Space;
    if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90)) return Kind.Letter;
    if (code >= 48 && code <= 57) return Kind.Digit;
    return Kind.Symbol;
  }
  const character = text[index];
  if (NON_ASCII_LETTER.test(character)) return Kind.Letter;
  if (NON_ASCII_DIGIT.test(character)) return Kind.Digit;
  return code === 0xa0 || code === 0x2009 ? Kind.Space : Kind.Symbol;
}

/**
 * Estimated o200k token count: a word is one token up to 6 letters plus one per further 5 letters,
 * digits go in groups of three (as o200k splits them), and punctuation runs cost one token per two
 * characters.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let runKind = Kind.Space;
  let runLength = 0;
  const close = (): void => {
    if (runKind === Kind.Letter) tokens += runLength <= 6 ? 1 : 1 + (runLength - 6) / 5;
    else if (runKind === Kind.Digit) tokens += Math.ceil(runLength / 3);
    else if (runKind === Kind.Symbol) tokens += runLength <= 2 ? 1 : runLength / 2;
  };
  for (let index = 0; index < text.length; index++) {
    const kind = kindOf(text.charCodeAt(index), text, index);
    if (kind === runKind) {
      runLength++;
      continue;
    }
    close();
    runKind = kind;
    runLength = 1;
  }
  close();
  return Math.round(tokens);
}
