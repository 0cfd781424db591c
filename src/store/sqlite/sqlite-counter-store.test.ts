import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterContract } from '../contract/counter-contract.ts';
import { SqliteCounterStore } from './sqlite-counter-store.ts';

counterContract('sqlite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-counters-'));
  const path = join(directory, 'counters.db');
  let now = 1_000_000;
  const clock = () => now;
  return {
    persistent: true,
    open: async () => new SqliteCounterStore({ path, now: clock }),
    // A second connection to the same file, as a second process would have.
    openReplica: async () => new SqliteCounterStore({ path, now: clock }),
    advance: async (milliseconds) => {
      now += milliseconds;
    },
    destroy: async () => rmSync(directory, { recursive: true, force: true }),
  };
});
