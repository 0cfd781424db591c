import { createWriteStream, existsSync } from 'node:fs';
import { loadConfig } from '../../config/load-config.ts';
import { OutcomesStore } from '../../pipeline/cascade/outcomes-store.ts';

export interface ExportOutcomesOptions {
  out?: string;
  tenant?: string;
  since?: number;
  config?: string;
  dataDir?: string;
}

/**
 * Writes the shadow-evaluation outcomes (`<data_dir>/outcomes/shadow.jsonl`) as an outcomes file for
 * `frugal eval router` and `frugal train router`. Returns how many lines were written and skipped.
 */
export async function runExportOutcomes(options: ExportOutcomesOptions, write: (line: string) => void): Promise<{ written: number; skipped: number; simulated: number; path: string; found: boolean }> {
  const dataDir = options.dataDir ?? loadConfig({ path: options.config }).config.data_dir ?? process.env.FRUGAL_DATA_DIR ?? './.frugal';
  const store = new OutcomesStore(dataDir);
  let written = 0;
  let skipped = 0;
  let simulated = 0;
  for await (const line of store.read({ tenant: options.tenant, since: options.since }, () => skipped++)) {
    write(`${JSON.stringify(line)}\n`);
    written++;
    if (line.simulated) simulated++;
  }
  return { written, skipped, simulated, path: store.path, found: existsSync(store.path) };
}

/** `frugal export outcomes` (its flags are defined in ../commands/export.ts). */
export async function exportOutcomesCommand(options: ExportOutcomesOptions): Promise<void> {
  const file = options.out ? createWriteStream(options.out) : undefined;
  const result = await runExportOutcomes(options, (line) => (file ? file.write(line) : process.stdout.write(line)));
  if (file) await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
  process.stderr.write(`exported ${result.written} outcomes line(s)${result.skipped ? `, skipped ${result.skipped} unreadable` : ''}${options.out ? ` to ${options.out}` : ''}\n`);
  if (result.simulated) {
    process.stderr.write(`${result.simulated} of them are marked "simulated": true (a simulated model or judge): frugal train router, train verifier and eval router refuse them unless --allow-simulated\n`);
  }
  if (!result.found) {
    process.stderr.write(`no shadow outcomes at ${result.path}: a route writes them there once it has shadow: { sample, judge } and samples a request (docs/routing.md); check --data-dir\n`);
  }
}
