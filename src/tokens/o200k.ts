import { createRequire } from 'node:module';

/** The part of gpt-tokenizer's o200k encoding (GPT-4o's BPE) that Frugal uses. */
export interface O200k {
  countTokens(text: string): number;
  encode(text: string): number[];
  /** The text of tokens, as it completes (a character split across tokens comes with its last one). */
  decodeGenerator(tokens: Iterable<number>): Generator<string, void, void>;
}

const require = createRequire(import.meta.url);
let loaded: O200k | undefined;

/**
 * gpt-tokenizer's o200k encoding, loaded on first use: its rank tables take ~68 MB of heap, and a
 * gateway whose upstreams report usage and that has no budgets, cost caps or compression never needs
 * them. Loading is synchronous (the CommonJS build) so callers stay synchronous.
 */
export function o200k(): O200k {
  return (loaded ??= require('gpt-tokenizer') as O200k);
}

/** True once something has needed the tokenizer (for tests and /health-style diagnostics). */
export function o200kLoaded(): boolean {
  return loaded !== undefined;
}
