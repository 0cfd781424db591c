import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { evalCompress } from '../../pipeline/compress/eval-compress.ts';

/** Flags of `frugal eval compress` (defined in ../commands/eval-compress.ts). */
export interface EvalCompressCommandOptions {
  qa: string;
  ratio: number;
  maxContextTokens?: number;
  json?: boolean;
}

/** `frugal eval compress --qa FILE [--ratio N] [--json]`: compression ratio, answer retention, throughput. */
export async function evalCompressCommand(options: EvalCompressCommandOptions): Promise<void> {
  const lines = createInterface({ input: createReadStream(options.qa, 'utf8'), crlfDelay: Infinity });
  const result = await evalCompress(lines, { targetRatio: options.ratio, maxContextTokens: options.maxContextTokens });
  if (result.rows === 0) {
    const named = result.skipped.slice(0, 20).map((skipped) => `line ${skipped.line}: ${skipped.error}`).join('; ');
    throw new Error(`${options.qa}: no rows to evaluate${named ? ` (${named})` : ' (the file is empty)'}; each line is {"context": "…", "question": "…", "answers": ["…"]}`);
  }
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`rows: ${result.rows}   skipped: ${result.skipped.length}`);
  console.log(`compression ratio: ${result.ratio.toFixed(2)}× (${result.tokens_before} → ${result.tokens_after} tokens)`);
  console.log(`answer retention:  ${(100 * result.retention).toFixed(1)}%`);
  console.log(`throughput:        ${result.mb_per_s.toFixed(2)} MB/s`);
  for (const skipped of result.skipped.slice(0, 20)) console.log(`  line ${skipped.line}: ${skipped.error}`);
}
