import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerContract } from '../contract/ledger-contract.ts';
import { SqliteLedgerStore } from './sqlite-ledger-store.ts';

ledgerContract('sqlite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-ledger-'));
  return {
    persistent: true,
    open: async () => new SqliteLedgerStore({ path: join(directory, 'ledger.db') }),
    destroy: async () => rmSync(directory, { recursive: true, force: true }),
  };
});

// The same contract with batches written inline on the caller's thread (shared connections do this).
ledgerContract('sqlite, inline writes', () => {
  const directory = mkdtempSync(join(tmpdir(), 'frugal-ledger-inline-'));
  return {
    persistent: true,
    open: async () => new SqliteLedgerStore({ path: join(directory, 'ledger.db'), writerThread: false }),
    destroy: async () => rmSync(directory, { recursive: true, force: true }),
  };
});
