import { InvalidArgumentError, type Command } from 'commander';
import type { ReportCommandOptions } from '../actions/report.ts';
import { REPORT_DIMENSIONS, type ReportDimension } from '../../reports/aggregate.ts';
import { REPORT_FORMATS, type ReportFormat } from '../../reports/format-report.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';

function oneOf<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${what} must be one of: ${allowed.join(', ')}`);
  };
}

function timeArgument(value: string): number {
  try {
    return parseTime(value);
  } catch (error) {
    if (error instanceof TimeArgumentError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** `frugal report --since 30d --by feature|model|key|route|lever|day [--format table|csv|json]`. */
export function registerReportCommands(program: Command): void {
  program
    .command('report')
    .description('spend, baseline and savings per lever from the ledger, grouped by feature, model, key, route, lever or day')
    .option('--since <time>', 'start of the window: 90m, 12h, 30d, 2w, a date or an ISO time', timeArgument, undefined)
    .option('--until <time>', 'end of the window (default: now)', timeArgument, undefined)
    .option('--by <dimension>', `group by: ${REPORT_DIMENSIONS.join(' | ')}`, oneOf(REPORT_DIMENSIONS, '--by'), 'feature')
    .option('--format <format>', `output: ${REPORT_FORMATS.join(' | ')}`, oneOf(REPORT_FORMATS, '--format'), 'table')
    .option('--tenant <tenant>', 'only this tenant')
    .option('-c, --config <file>', 'config file (its data_dir and store say where the ledger is)')
    .action(async function report(this: Command, flags: { since?: number; until?: number; by: ReportDimension; format: ReportFormat; tenant?: string; config?: string }) {
      const until = flags.until ?? Date.now();
      const since = flags.since ?? parseTime('30d', until);
      if (since >= until) this.error('error: --since must be before --until');
      const options: ReportCommandOptions = { since, until, by: flags.by, format: flags.format, tenant: flags.tenant, config: flags.config };
      const { reportCommand } = await import('../actions/report.ts');
      await reportCommand(options);
    });
}
