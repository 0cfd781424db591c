/**
 * A circuit breaker per deployment: after `failureThreshold` consecutive failures it opens for
 * `cooldownMs`, then lets one trial call through (half-open); a success closes it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = 'closed';
  #trialInFlight = false;
  readonly #options: BreakerOptions;
  readonly #now: () => number;

  constructor(options: BreakerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#options.cooldownMs) return 'half-open';
    return this.#state;
  }

  /** True when a call may go through now; in half-open, only one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.#trialInFlight) return false;
    this.#trialInFlight = true;
    this.#state = 'half-open';
    return true;
  }

  recordSuccess(): void {
    this.#failures = 0;
    this.#state = 'closed';
    this.#trialInFlight = false;
  }

  recordFailure(): void {
    this.#trialInFlight = false;
    this.#failures += 1;
    if (this.#state === 'half-open' || this.#failures >= this.#options.failureThreshold) {
      this.#state = 'open';
      this.#openedAt = this.#now();
    }
  }

  /** Releases a half-open trial that ended without a verdict (client abort). */
  release(): void {
    this.#trialInFlight = false;
  }
}

/** Breakers by deployment key (`provider/upstreamModel`). */
export class BreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>();
  constructor(readonly options: BreakerOptions) {}

  get(key: string): CircuitBreaker {
    let breaker = this.#breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options);
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  states(): { key: string; state: BreakerState }[] {
    return [...this.#breakers].map(([key, breaker]) => ({ key, state: breaker.state }));
  }
}
