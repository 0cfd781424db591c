import { InvalidArgumentError, type Command } from 'commander';
import type { ExportLedgerFlags } from '../actions/export-ledger.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';

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
    .action(async (flags: ExportLedgerFlags) => {
      const { exportLedgerCommand } = await import('../actions/export-ledger.ts');
      await exportLedgerCommand(flags);
    });
}
