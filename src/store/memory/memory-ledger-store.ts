import type { LedgerQuery, LedgerRecord, LedgerStore } from '../types.ts';
import { ledgerQuerySchema, validateLedgerBatch } from './ledger-record-schema.ts';

/**
 * LedgerStore held in process memory: for tests and `store: memory`. Nothing survives a restart.
 * Queries scan every record, which is fine for the sizes a memory ledger is meant for.
 */
export class MemoryLedgerStore implements LedgerStore {
  readonly #records = new Map<string, LedgerRecord>();

  async append(records: LedgerRecord[]): Promise<void> {
    const valid = validateLedgerBatch(records);
    // Checked before any write so that a duplicate id leaves the store unchanged, like a rolled-back transaction.
    for (const record of valid) {
      if (this.#records.has(record.id)) throw new Error(`Ledger record ${record.id} already exists`);
    }
    for (const record of valid) this.#records.set(record.id, record);
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const record = this.#records.get(id);
    return record === undefined ? undefined : structuredClone(record);
  }

  async query(query: LedgerQuery): Promise<LedgerRecord[]> {
    const parsed = ledgerQuerySchema.parse(query);
    const matches = this.#matching(parsed);
    matches.sort(parsed.orderBy === 'cost' ? byCostDescending : byTimeDescending);
    const limited = parsed.limit === undefined ? matches : matches.slice(0, parsed.limit);
    return limited.map((record) => structuredClone(record));
  }

  async count(query: LedgerQuery = {}): Promise<number> {
    return this.#matching(ledgerQuerySchema.parse(query)).length;
  }

  async close(): Promise<void> {}

  #matching(query: LedgerQuery): LedgerRecord[] {
    const result: LedgerRecord[] = [];
    for (const record of this.#records.values()) {
      if (query.since !== undefined && record.time < query.since) continue;
      if (query.until !== undefined && record.time >= query.until) continue;
      if (query.tenant !== undefined && record.tenant !== query.tenant) continue;
      if (query.keyId !== undefined && record.keyId !== query.keyId) continue;
      result.push(record);
    }
    return result;
  }
}

/** Newest first; ties broken by id (descending) so every backend returns the same order. */
function byTimeDescending(left: LedgerRecord, right: LedgerRecord): number {
  return right.time - left.time || compareIdsDescending(left, right);
}

function byCostDescending(left: LedgerRecord, right: LedgerRecord): number {
  return right.costNano - left.costNano || byTimeDescending(left, right);
}

function compareIdsDescending(left: LedgerRecord, right: LedgerRecord): number {
  return left.id < right.id ? 1 : left.id > right.id ? -1 : 0;
}
