import type { Logger } from 'pino';
import type { LedgerRecord, LedgerStore } from '../store/types.ts';

export interface LedgerWriterOptions {
  flushIntervalMs: number;
  maxBatch: number;
  logger?: Logger;
}

/**
 * Writes ledger records off the hot path: records queue in memory and are appended in one
 * transaction per batch every `flushIntervalMs` (or as soon as `maxBatch` are waiting). `close()`
 * flushes everything (SIGTERM loses nothing); a kill -9 loses at most the records of the last
 * interval, and never leaves a partial row because each batch is one transaction.
 */
export class LedgerWriter {
  readonly #store: LedgerStore;
  readonly #options: LedgerWriterOptions;
  #queue: LedgerRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #listeners: ((record: LedgerRecord) => void)[] = [];

  constructor(store: LedgerStore, options: LedgerWriterOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Observers see every record as it is queued (metrics, budgets). */
  onRecord(listener: (record: LedgerRecord) => void): void {
    this.#listeners.push(listener);
  }

  write(record: LedgerRecord): void {
    this.#queue.push(record);
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (error) {
        this.#options.logger?.error({ err: error }, 'ledger listener failed');
      }
    }
    if (this.#queue.length >= this.#options.maxBatch) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Records queued but not yet written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Finds a record still waiting in the queue (so a just-answered request is readable at once). */
  findPending(id: string): LedgerRecord | undefined {
    return this.#queue.find((record) => record.id === id);
  }

  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#flushing = this.#flushing.then(async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue.slice(0, this.#options.maxBatch);
        try {
          await this.#store.append(batch);
          this.#queue.splice(0, batch.length);
        } catch (error) {
          // Keep the batch and try again later: the ledger must not lose accepted requests.
          this.#options.logger?.error({ err: error, records: batch.length }, 'ledger append failed; will retry');
          if (!this.#timer) {
            this.#timer = setTimeout(() => void this.flush(), Math.max(1_000, this.#options.flushIntervalMs));
            this.#timer.unref();
          }
          return;
        }
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#queue.length > 0) await this.flush();
  }
}
