import { ledgerContract } from '../contract/ledger-contract.ts';
import { MemoryLedgerStore } from './memory-ledger-store.ts';

ledgerContract('memory', () => {
  const store = new MemoryLedgerStore();
  return { persistent: false, open: async () => store };
});
