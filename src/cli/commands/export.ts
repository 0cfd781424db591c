import { InvalidArgumentError, type Command } from 'commander';
import type { ExportOutcomesOptions } from '../actions/export.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';

function timeArgument(value: string): number {
  try {
    return parseTime(value);
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function registerExportCommands(program: Command): void {
  const exportGroup = program.commands.find((command) => command.name() === 'export') ?? program.command('export').description('export data Frugal collected');
  exportGroup
    .command('outcomes')
    .description('write the shadow-evaluation outcomes (JSONL) for `frugal eval router` and `frugal train router`')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--tenant <tenant>', 'only this tenant\'s lines')
    .option('--since <time>', 'only lines since: 90m, 12h, 30d, a date or an ISO time', timeArgument)
    .option('-c, --config <file>', 'config file (for data_dir)')
    .option('--data-dir <dir>', 'data directory (default: config data_dir, FRUGAL_DATA_DIR or ./.frugal)')
    .action(async (options: ExportOutcomesOptions) => {
      const { exportOutcomesCommand } = await import('../actions/export.ts');
      await exportOutcomesCommand(options);
    });
}
