import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gateway } from '../gateway/build-gateway.ts';
import type { BatchConfig } from './batch-config.ts';
import { advanceBatch, type AdvanceContext } from './advance-batch.ts';
import { runBatchLine } from './run-batch-line.ts';
import { Pacer } from './pacer.ts';
import type { ClaimedLine, JobStore } from './store/job-store.ts';

/**
 * Frugal's own batch workers plus the scheduler that moves batches through their statuses. Each
 * tick advances every active batch (lease-holder only), then claims as many lines as there are
 * free slots and runs them at most `requests_per_second`. Leases of running lines are renewed every
 * tick; a replica that dies stops renewing, and its lines go to another once the lease runs out.
 */
export class BatchRunner {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #gateway: Gateway;
  readonly #store: JobStore;
  readonly #config: BatchConfig;
  readonly #pacer: Pacer;
  readonly #inFlight = new Map<string, { line: ClaimedLine; done: Promise<void> }>();
  readonly #abort = new AbortController();
  readonly #advance: AdvanceContext;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #tickAgain = false;
  #stopped = false;

  constructor(gateway: Gateway, store: JobStore, config: BatchConfig) {
    this.#gateway = gateway;
    this.#store = store;
    this.#config = config;
    this.#pacer = new Pacer(config.requests_per_second);
    this.#advance = { gateway, store, config, owner: this.owner, signal: this.#abort.signal, lastPolled: new Map(), cancelRequested: new Set() };
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => this.wake(), this.#config.poll_interval_ms);
    this.#timer.unref();
    this.wake();
  }

  /** Runs a tick now (after a line finishes, a batch is created or cancelled); ticks never overlap. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#tickAgain = true;
      return;
    }
    this.#ticking = this.#tick()
      .catch((error: unknown) => this.#gateway.logger.error({ err: error }, 'batch scheduler tick failed'))
      .finally(() => {
        this.#ticking = undefined;
        if (this.#tickAgain) {
          this.#tickAgain = false;
          this.wake();
        }
      });
  }

  /** Stops claiming, aborts running lines and gives them back as pending for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#abort.abort();
    await this.#ticking;
    await Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
  }

  async #tick(): Promise<void> {
    for (const batch of await this.#store.listActiveBatches()) {
      if (this.#stopped) return;
      try {
        await advanceBatch(this.#advance, batch);
      } catch (error) {
        this.#gateway.logger.warn({ err: error, batchId: batch.id }, 'advancing a batch failed; will retry');
      }
    }
    if (this.#stopped || !this.#config.workers_enabled) return;
    await this.#store.renewLines(this.owner, [...this.#inFlight.values()].map(({ line }) => line), this.#config.lease_ms);
    const claimed = await this.#store.claimLines(this.owner, this.#config.concurrency - this.#inFlight.size, this.#config.lease_ms);
    for (const line of claimed) {
      const key = `${line.batchId}/${line.lineNumber}`;
      const done = this.#run(line).finally(() => {
        this.#inFlight.delete(key);
        this.wake();
      });
      this.#inFlight.set(key, { line, done });
    }
  }

  async #run(line: ClaimedLine): Promise<void> {
    const key = { batchId: line.batchId, lineNumber: line.lineNumber };
    const signal = this.#abort.signal;
    try {
      for (let attempt = 1; ; attempt++) {
        await this.#pacer.take(signal);
        const result = await runBatchLine(this.#gateway, line, signal);
        if (signal.aborted) break;
        if (result.status !== 'retry') {
          await this.#store.finishLine(key, { status: 'running', owner: this.owner }, result);
          return;
        }
        if (attempt >= this.#config.max_attempts) {
          const output = { id: `batch_req_${line.batchId}_${line.lineNumber}`, custom_id: line.customId, response: { status_code: result.error.status, request_id: null, body: result.error.toOpenAI() }, error: null };
          await this.#store.finishLine(key, { status: 'running', owner: this.owner }, { status: 'failed', output });
          return;
        }
        const backoff = Math.max(result.retryAfterMs ?? 0, this.#config.retry_base_delay_ms * 2 ** (attempt - 1));
        await sleep(backoff, undefined, { signal });
      }
    } catch (error) {
      if (!signal.aborted) this.#gateway.logger.error({ err: error, batchId: line.batchId, line: line.lineNumber }, 'batch line failed unexpectedly');
    }
    // Shutting down (or an unexpected error): the line goes back to pending, to run again later.
    await this.#store.releaseLine(this.owner, line.batchId, line.lineNumber).catch(() => undefined);
  }
}
