import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { startFrugal, type RunningFrugal } from '../../src/main.ts';

export interface TestGateway extends RunningFrugal {
  /** Everything the gateway logged, one JSON line each. */
  logs: string[];
  dataDir: string;
}

/** Starts Frugal on 127.0.0.1:0 with a config object, a temp data dir and captured logs. */
export async function startTestGateway(rawConfig: Record<string, unknown>, options: { dataDir?: string } = {}): Promise<TestGateway> {
  const config = validateConfig({ logging: { level: 'debug' }, ...rawConfig }, 'test');
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'frugal-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      callback();
    },
  });
  const logger = createLogger('debug', sink);
  const running = await startFrugal({ config, port: 0, host: '127.0.0.1', dataDir, logger });
  return Object.assign(running, { logs, dataDir });
}

/** Waits until `check` passes or the time runs out (for background effects such as ledger flushes). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw lastError;
}
