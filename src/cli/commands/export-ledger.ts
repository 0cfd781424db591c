import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { InvalidArgumentError, type Command } from 'commander';
import { openLedgerForReading } from './report.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';
import { readLedger } from '../../reports/read-ledger.ts';
import type { LedgerRecord } from '../../store/types.ts';

/**
 * The `frugal export` command group, created once and shared: every capability that exports
 * something (`export ledger` here, `export outcomes` for routing) adds its subcommand to the same
 * group through this function, whichever registers first.
 */
export function exportCommandGroup(program: Command): Command {
  const existing = program.commands.find((command) => command.name() === 'export');
  return existing ?? program.command('export').description('export Frugal data as JSONL (ledger, outcomes)');
}

function timeArgument(value: string): number {
  try {
    return parseTime(value);
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

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

/** `frugal export ledger [--since 30d] [--until …] [--tenant …] [--out FILE]`. */
export function registerExportLedgerCommands(program: Command): void {
  exportCommandGroup(program)
    .command('ledger')
    .description('write ledger records as JSONL, oldest first (readable by `frugal replay`)')
    .option('--since <time>', 'start of the window: 90m, 12h, 30d, 2w, a date or an ISO time (default: everything)', timeArgument)
    .option('--until <time>', 'end of the window (default: now)', timeArgument)
    .option('--tenant <tenant>', 'only this tenant')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('-c, --config <file>', 'config file (its data_dir and store say where the ledger is)')
    .action(async (flags: { since?: number; until?: number; tenant?: string; out?: string; config?: string }) => {
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
    });
}
