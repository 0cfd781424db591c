import { errors } from '../../errors/codes.ts';
import type { CounterStore } from '../../store/types.ts';

const MINUTE_MS = 60_000;
/** Output tokens are added after the fact and never refused: this is "no limit" for `hit`. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** A key's limits: requests and tokens per minute (`null`: none). */
export interface RateLimits {
  id: string;
  rpm: number | null;
  tpm: number | null;
}

/**
 * Per-key rate limits on fixed one-minute windows in the CounterStore (shared by replicas on
 * Redis). Requests are counted on arrival. Tokens are counted in two steps: the prompt's tokens
 * must fit in the window before the call; the answer's tokens (unknown until it ends) are added
 * afterwards, so a long answer makes the key wait for the next window.
 */
export class KeyRateLimiter {
  readonly #counters: CounterStore;

  constructor(counters: CounterStore) {
    this.#counters = counters;
  }

  /** Counts one request and its prompt tokens, or throws 429 `rate_limit_exceeded` with retry-after. */
  async admit(limits: RateLimits, inputTokens: number): Promise<void> {
    if (limits.rpm !== null) {
      const result = await this.#counters.hit(`rate:${limits.id}:rpm`, MINUTE_MS, limits.rpm, 1);
      if (!result.allowed) throw errors.rateLimited(`Rate limit of ${limits.rpm} requests per minute reached for this key.`, result.retryAfterMs / 1000);
    }
    if (limits.tpm !== null) {
      if (inputTokens > limits.tpm) {
        throw errors.invalidRequest(`This request's prompt (${inputTokens} tokens) is larger than the key's limit of ${limits.tpm} tokens per minute.`, 'messages');
      }
      const result = await this.#counters.hit(`rate:${limits.id}:tpm`, MINUTE_MS, limits.tpm, inputTokens);
      if (!result.allowed) throw errors.rateLimited(`Rate limit of ${limits.tpm} tokens per minute reached for this key (${result.count} used in this minute).`, result.retryAfterMs / 1000);
    }
  }

  /** Adds the tokens the request used beyond what `admit` counted. */
  async record(limits: RateLimits, extraTokens: number): Promise<void> {
    if (limits.tpm === null || extraTokens <= 0) return;
    await this.#counters.hit(`rate:${limits.id}:tpm`, MINUTE_MS, UNLIMITED, Math.round(extraTokens));
  }
}
