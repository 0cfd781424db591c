import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { openStores, type OpenedStores } from '../../store/open-stores.ts';
import { ReportAggregator, type Report, type ReportDimension } from '../../reports/aggregate.ts';
import { formatReport, type ReportFormat } from '../../reports/format-report.ts';
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

/** What `frugal report` does once its flags are checked (they are defined in ../commands/report.ts). */
export async function reportCommand(options: ReportCommandOptions): Promise<void> {
  const report = await buildReport(options);
  process.stdout.write(formatReport(report, { since: options.since, until: options.until }, options.format) + '\n');
}
