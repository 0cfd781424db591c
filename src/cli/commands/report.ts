import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { openStores, type OpenedStores } from '../../store/open-stores.ts';
import { REPORT_DIMENSIONS, ReportAggregator, type Report, type ReportDimension } from '../../reports/aggregate.ts';
import { formatReport, REPORT_FORMATS, type ReportFormat } from '../../reports/format-report.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';
import { readLedger } from '../../reports/read-ledger.ts';

/** What `frugal report` was asked for, once its flags are parsed. */
export interface ReportCommandOptions {
  since: number;
  until: number;
  by: ReportDimension;
  format: ReportFormat;
  tenant?: string;
  config?: string;
}

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

/**
 * Opens the stores holding the configured ledger for reading. A SQLite data dir without a ledger is
 * an error rather than an empty report (and is not created): it is almost always the wrong directory.
 */
export async function openLedgerForReading(configPath: string | undefined): Promise<OpenedStores> {
  const { config, source } = loadConfig({ path: configPath });
  const dataDir = config.data_dir ?? process.env.FRUGAL_DATA_DIR ?? './.frugal';
  if (config.store === 'memory') throw new Error(`${source} says store: memory, so the ledger lives inside the running gateway; read it through GET /admin/summary`);
  if (config.store === 'sqlite' && !existsSync(join(dataDir, 'ledger.db'))) {
    throw new Error(`no ledger at ${join(dataDir, 'ledger.db')}: no gateway has run with this data dir (it comes from the config's data_dir, else FRUGAL_DATA_DIR, else ./.frugal)`);
  }
  return openStores({ dataDir, store: config.store });
}

/**
 * Reads the configured ledger (SQLite under the data dir by default, PostgreSQL when `store` is a
 * URL) page by page and aggregates it. Only the ledger is read; Redis is never contacted.
 */
export async function buildReport(options: ReportCommandOptions): Promise<Report> {
  const stores = await openLedgerForReading(options.config);
  try {
    const aggregator = new ReportAggregator(options.by);
    for await (const record of readLedger(stores.ledger, { since: options.since, until: options.until, tenant: options.tenant })) aggregator.add(record);
    return aggregator.report();
  } finally {
    await stores.close();
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
      const report = await buildReport(options);
      process.stdout.write(formatReport(report, { since, until }, flags.format) + '\n');
    });
}
