import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteLedgerStore } from '../src/store/sqlite/sqlite-ledger-store.ts';
import { spawnFrugal } from './helpers/spawn-frugal.ts';

const config = `
providers:
  sim: { type: simulated, simulate: { latency_ms: 30 } }
models:
  small: { provider: sim, price: { input: 0.01, output: 0.01 } }
ledger: { flush_interval_ms: 60000, max_batch: 100000 }
`;

describe('graceful shutdown', () => {
  it('SIGTERM lets in-flight requests finish and flushes every ledger record', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'frugal-sigterm-'));
    const frugal = await spawnFrugal(config, dataDir);
    const send = (index: number) =>
      fetch(`${frugal.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: `question ${index}` }] }),
      }).then((response) => response.status);
    // The flush interval is a minute: without the shutdown flush, none of these would be on disk.
    const finished = await Promise.all(Array.from({ length: 20 }, (_unused, index) => send(index)));
    expect(finished.every((status) => status === 200)).toBe(true);
    const inFlight = Array.from({ length: 10 }, (_unused, index) => send(100 + index));
    await new Promise((resolve) => setTimeout(resolve, 10));
    frugal.child.kill('SIGTERM');
    const statuses = await Promise.all(inFlight.map((request) => request.catch(() => 0)));
    expect(await frugal.exited).toBe(0);
    const answered = statuses.filter((status) => status === 200).length;
    const ledger = new SqliteLedgerStore({ path: join(dataDir, 'ledger.db') });
    try {
      expect(await ledger.count()).toBe(20 + answered);
    } finally {
      await ledger.close();
    }
    expect(answered).toBe(10);
  });
});
