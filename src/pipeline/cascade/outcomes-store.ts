import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { outcomesLineSchema } from '../route/outcomes.ts';

/**
 * Shadow-evaluation outcomes, one JSON line each in `<data_dir>/outcomes/shadow.jsonl`: the outcomes
 * format (`prompt`, `outcomes`) plus where the line came from. A plain append-only file so that
 * `frugal export outcomes` (and `jq`) read it without the gateway running, independent of the
 * cache and ledger backends. Each replica appends to its own data dir.
 */
export const storedOutcomeSchema = outcomesLineSchema.extend({
  time: z.number(),
  tenant: z.string(),
  request_id: z.string(),
  route: z.string().nullable(),
  task: z.string().nullable(),
  judge: z.string(),
  served_model: z.string(),
  baseline_model: z.string(),
  /** True when an answer or the judge's scores came from the offline simulated provider: not quality data. */
  simulated: z.boolean().optional(),
});
export type StoredOutcome = z.infer<typeof storedOutcomeSchema>;

export const OUTCOMES_FILE = 'shadow.jsonl';

export class OutcomesStore {
  readonly path: string;
  readonly #directory: string;

  constructor(dataDir: string) {
    this.#directory = join(dataDir, 'outcomes');
    this.path = join(this.#directory, OUTCOMES_FILE);
  }

  /** Appends one line; a single small write, so concurrent appends do not interleave. */
  async append(line: StoredOutcome): Promise<void> {
    mkdirSync(this.#directory, { recursive: true });
    await appendFile(this.path, `${JSON.stringify(line)}\n`, 'utf8');
  }

  /** Reads the stored lines, optionally one tenant's or since a time; a corrupt line is skipped and counted. */
  async *read(filter: { tenant?: string; since?: number } = {}, onSkip?: (lineNumber: number) => void): AsyncGenerator<StoredOutcome> {
    if (!existsSync(this.path)) return;
    const lines = createInterface({ input: createReadStream(this.path, 'utf8'), crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const text of lines) {
      lineNumber++;
      if (!text.trim()) continue;
      let parsed;
      try {
        parsed = storedOutcomeSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        onSkip?.(lineNumber);
        continue;
      }
      if (filter.tenant !== undefined && parsed.data.tenant !== filter.tenant) continue;
      if (filter.since !== undefined && parsed.data.time < filter.since) continue;
      yield parsed.data;
    }
  }
}
