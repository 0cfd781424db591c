import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces request starts at least `1 / perSecond` apart (a leaky bucket without a burst), so a large
 * batch never runs faster than the configured rate however many workers are free.
 */
export class Pacer {
  readonly #intervalMs: number;
  #next = 0;

  constructor(perSecond: number) {
    this.#intervalMs = 1_000 / perSecond;
  }

  /** Resolves when the caller may start its request; rejects if `signal` aborts first. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.#intervalMs;
    if (slot > now) await sleep(slot - now, undefined, { signal });
  }
}
