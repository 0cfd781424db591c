import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { openLedgerForReading } from './report.ts';
import { readLedger } from '../../reports/read-ledger.ts';
import type { LedgerRecord } from '../../store/types.ts';

/**
 * Writes ledger records as JSONL, oldest first (the order `frugal replay` reads a log in). Records
 * are read a page at a time, newest first, and reversed at the end, so the window is held in memory
 * once; narrow it with `since`/`until` for very large ledgers.
 */
export async function exportLedger(options: { config?: string; since?: number; until?: number; tenant?: string; write: (line: string) => Promise<void> | void }): Promise<number> {
  const stores = await openLedgerForReading(options.config);
  try {
    const records: LedgerRecord[] = [];
    for await (const record of readLedger(stores.ledger, { since: options.since, until: options.until, tenant: options.tenant })) records.push(record);
    for (let index = records.length - 1; index >= 0; index--) await options.write(JSON.stringify(records[index]) + '\n');
    return records.length;
  } finally {
    await stores.close();
  }
}

/** Flags of `frugal export ledger` (defined in ../commands/export-ledger.ts). */
export interface ExportLedgerFlags {
  since?: number;
  until?: number;
  tenant?: string;
  out?: string;
  config?: string;
}

/** `frugal export ledger [--since 30d] [--until …] [--tenant …] [--out FILE]`. */
export async function exportLedgerCommand(flags: ExportLedgerFlags): Promise<void> {
  const output = flags.out ? createWriteStream(flags.out) : process.stdout;
  const write = async (line: string) => {
    if (!output.write(line)) await once(output, 'drain');
  };
  const count = await exportLedger({ config: flags.config, since: flags.since, until: flags.until, tenant: flags.tenant, write });
  if (flags.out) {
    output.end();
    await once(output, 'finish');
    process.stderr.write(`exported ${count} ledger record(s) to ${flags.out}\n`);
  }
}
