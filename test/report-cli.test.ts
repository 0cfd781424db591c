import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteLedgerStore } from '../src/store/sqlite/sqlite-ledger-store.ts';
import { seededRecords } from '../src/reports/testing/seeded-records.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'frugal.js');
let configPath: string;

/** `frugal report …` as a user runs it: a real process reading the SQLite ledger the config points at. */
async function report(...flags: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, 'report', '--config', configPath, '--since', '2025-01-01', '--until', '2025-01-03', ...flags], { env: { ...process.env, FRUGAL_DATA_DIR: '' } });
  return stdout;
}

beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), 'frugal-report-'));
  const dataDir = join(folder, 'data');
  mkdirSync(dataDir, { recursive: true });
  const ledger = new SqliteLedgerStore({ path: join(dataDir, 'ledger.db') });
  await ledger.append(seededRecords());
  // Outside the window: must not be counted.
  await ledger.append([{ ...seededRecords()[0], id: 'req_old', time: Date.UTC(2024, 11, 31, 23, 59) }]);
  await ledger.close();
  configPath = join(folder, 'frugal.config.yaml');
  writeFileSync(configPath, `data_dir: ${JSON.stringify(dataDir)}\n`);
});

describe.concurrent('frugal report', () => {
  it('--format json gives exact nano-dollars and USD strings per group', async () => {
    const output = JSON.parse(await report('--by', 'feature', '--format', 'json'));
    expect(output.by).toBe('feature');
    expect(output.totals.requests).toBe(5);
    expect(output.totals.cost_nano).toBe(3_001_235_074);
    expect(output.totals.cost_usd).toBe('3.001235074');
    expect(output.totals.savings_usd).toBe('1.013766927');
    expect(output.rows.map((row: { group: string }) => row.group)).toEqual(['search', 'support', '(none)']);
    expect(output.rows[0].savings_by_lever).toEqual({
      cascade: { nano: 999_999_993, usd: '0.999999993' },
      routing: { nano: 1_000, usd: '0.000001' },
      prompt_cache: { nano: 500, usd: '0.0000005' },
    });
  });

  it('--format csv has a header, one line per group and every lever as a column', async () => {
    const lines = (await report('--by', 'key', '--format', 'csv')).trim().split('\n');
    const header = lines[0].split(',');
    expect(header.slice(0, 3)).toEqual(['key', 'requests', 'errors']);
    expect(header).toContain('savings_prompt_cache_usd');
    expect(lines).toHaveLength(4);
    const keyB = Object.fromEntries(lines[1].split(',').map((value, index) => [header[index], value]));
    expect(keyB).toMatchObject({ key: 'key_b', requests: '2', cost_usd: '3.000000507', cost_nano: '3000000507', savings_cascade_usd: '0.999999993', savings_cache_usd: '0', escalation_rate: '0.5000' });
  });

  it('--format table shows groups, levers that saved, totals and the simulated share', async () => {
    const table = await report('--by', 'lever');
    const lines = table.split('\n');
    const header = lines.find((line) => line.startsWith('lever'))!;
    expect(header.split(/\s{2,}/)).toEqual(['lever', 'requests', 'spend', 'baseline', 'savings', 'saved', 'routing', 'cascade', 'cache', 'prompt_cache', 'cache hit', 'escalated']);
    expect(lines.find((line) => line.startsWith('cascade'))).toContain('$0.999999993');
    const total = lines.find((line) => line.startsWith('TOTAL'))!.split(/\s+/);
    expect(total.slice(0, 5)).toEqual(['TOTAL', '5', '$3.001235074', '$4.015002001', '$1.013766927']);
    expect(table).toContain('1 of 5 requests were answered by the SIMULATED provider');
  });

  it('rejects an unknown grouping with the accepted ones', async () => {
    await expect(report('--by', 'colour')).rejects.toMatchObject({ stderr: expect.stringContaining('feature, model, key, route, lever, day') });
  });

  it('refuses a data dir without a ledger, naming the file it looked for, and creates nothing there', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'frugal-report-empty-'));
    const typo = join(folder, 'dat');
    const wrongConfig = join(folder, 'frugal.config.yaml');
    writeFileSync(wrongConfig, `data_dir: ${JSON.stringify(typo)}\n`);
    for (const command of [['report'], ['export', 'ledger']]) {
      const failure = await run(process.execPath, [BIN, ...command, '--config', wrongConfig], { env: { ...process.env, FRUGAL_DATA_DIR: '' } }).catch((error: { code: number; stderr: string }) => error);
      expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining(`error: no ledger at ${join(typo, 'ledger.db')}`) });
    }
    expect(existsSync(typo)).toBe(false);
  });
});
