import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code, evaluated as a CommonJS script (no TypeScript, no module resolution of its own:
 * the driver's absolute path comes in `workerData`, so it loads the same better-sqlite3 as the gateway
 * whatever the working directory).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const database = new Database(workerData.path);
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.pragma('busy_timeout = 5000');
const statement = database.prepare(workerData.sql);
const writeAll = database.transaction((rows) => { for (const row of rows) statement.run(row); });
parentPort.on('message', (message) => {
  if (message.close) {
    database.close();
    parentPort.close();
    return;
  }
  try {
    writeAll(message.rows);
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, message: String(error && error.message), code: error && error.code });
  }
});
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Runs one prepared INSERT over batches of rows on a worker thread with its own connection to the
 * same SQLite file. better-sqlite3 is synchronous: on the event loop a 500-row transaction (and the
 * WAL checkpoint a commit sometimes triggers) would stall every request in flight for milliseconds.
 * Here the loop only posts the rows; `write` resolves once the batch is committed (or rejects with
 * SQLite's message and code, so callers handle a failed batch exactly as an inline write). Readers on
 * the gateway's own connection see committed rows at once (WAL). The thread starts on first use and
 * is restarted after a crash; it holds the process open only while a batch is in flight.
 */
export class SqliteWriterThread {
  readonly #path: string;
  readonly #sql: string;
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;

  constructor(path: string, sql: string) {
    this.#path = path;
    this.#sql = sql;
  }

  write(rows: unknown[][]): Promise<void> {
    const worker = (this.#worker ??= this.#start());
    const id = ++this.#nextId;
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ id, rows });
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true });
    await exited;
  }

  #start(): Worker {
    // The thread only turns posted rows into INSERTs: a small heap keeps its resident memory small
    // (a default isolate grows a 16 MB+ young generation under a steady stream of batches).
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: driverPath, path: this.#path, sql: this.#sql },
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    worker.unref();
    worker.on('message', (message: { id: number; ok: boolean; message?: string; code?: string }) => {
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      if (this.#waiting.size === 0) worker.unref();
      if (message.ok) waiting.resolve();
      else waiting.reject(Object.assign(new Error(message.message ?? 'SQLite write failed'), { code: message.code }));
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on('error', (error) => failAll(error));
    worker.on('exit', (code) => failAll(new Error(`the SQLite writer thread exited (code ${code})`)));
    return worker;
  }
}
