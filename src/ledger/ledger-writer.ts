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
          if (await this.#dropUnwritable(batch, error)) continue;
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

  /**
   * A batch can fail for good: a record already written (the store committed but the acknowledgement was
   * lost, so the retry hits its id) or a record the store rejects. Retrying those would block the ledger
   * forever, so they leave the queue — written ones silently, invalid ones with an error log line.
   * Returns false when nothing could be singled out (the store is down): then the whole batch waits.
   */
  async #dropUnwritable(batch: LedgerRecord[], error: unknown): Promise<boolean> {
    const message = (error as Error)?.message ?? '';
    const drop = new Set<LedgerRecord>();
    try {
      for (const record of batch) {
        if (await this.#store.get(record.id)) drop.add(record);
      }
    } catch {
      return false;
    }
    if (drop.size === 0 && /invalid ledger record|duplicate ledger record id/i.test(message)) {
      for (const record of batch) {
        try {
          await this.#store.append([record]);
          drop.add(record);
        } catch (singleError) {
          this.#options.logger?.error({ err: singleError, id: record.id }, 'ledger record rejected by the store; dropped');
          drop.add(record);
        }
      }
    }
    if (drop.size === 0) return false;
    this.#queue = this.#queue.filter((record) => !drop.has(record));
    return true;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#queue.length > 0) await this.flush();
  }
}
