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
export async function startTestGateway(rawConfig: Record<string, unknown>, options: { dataDir?: string; host?: string } = {}): Promise<TestGateway> {
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
  const running = await startFrugal({ config, port: 0, host: options.host ?? '127.0.0.1', dataDir, logger });
  const close = running.close.bind(running);
  // Every gateway a test starts is checked on close: no provider, gateway or admin key in any log line.
  const secrets = [
    ...Object.values(config.providers).map((provider) => provider.api_key),
    ...config.auth.keys,
    config.auth.admin_key,
  ].filter((secret): secret is string => typeof secret === 'string' && secret.length >= 8);
  running.close = async () => {
    await close();
    for (const secret of secrets) {
      const leaked = logs.find((line) => line.includes(secret));
      if (leaked) throw new Error(`a key appeared in a log line: ${leaked.replace(secret, '<the key>')}`);
    }
  };
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
