/**
 * In-process request coalescing: the first miss for a key leads (calls upstream), identical misses
 * arriving meanwhile wait for the leader's result instead of making their own call. A leader that
 * fails, or whose answer may not be shared, settles with `undefined` and its followers carry on
 * by themselves (one of them leading the next flight). Replicas do not coalesce with each other.
 */
export class RequestCoalescer<T> {
  readonly #flights = new Map<string, Promise<T | undefined>>();

  /** The flight in progress for `key`, if any. */
  join(key: string): Promise<T | undefined> | undefined {
    return this.#flights.get(key);
  }

  /** Starts a flight; the leader must call `settle` exactly once (later calls are ignored). */
  lead(key: string): { settle(value: T | undefined): void } {
    let resolve!: (value: T | undefined) => void;
    const flight = new Promise<T | undefined>((done) => (resolve = done));
    this.#flights.set(key, flight);
    let settled = false;
    return {
      settle: (value) => {
        if (settled) return;
        settled = true;
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
        resolve(value);
      },
    };
  }

  get inFlight(): number {
    return this.#flights.size;
  }
}

/** Resolves with `promise`, or rejects when `signal` aborts first (a waiting client went away). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
