import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { evalCompress } from '../../pipeline/compress/eval-compress.ts';

/** `frugal eval compress --qa FILE [--ratio N] [--json]`: compression ratio, answer retention, throughput. */
export function registerEvalCompressCommands(program: Command): void {
  const evalGroup = program.commands.find((command) => command.name() === 'eval') ?? program.command('eval').description('measure levers on your own data');
  evalGroup
    .command('compress')
    .description('compress each {"context","question","answers"} line and report ratio, answer retention and MB/s')
    .requiredOption('--qa <file>', 'JSONL with context, question and answers')
    .option('--ratio <n>', 'target ratio (tokens before ÷ after)', '5')
    .option('--max-context-tokens <n>', 'keep at most this many context tokens')
    .option('--json', 'print JSON (ratio, retention, mb_per_s, …)')
    .action(async (options: { qa: string; ratio: string; maxContextTokens?: string; json?: boolean }) => {
      const targetRatio = Number(options.ratio);
      if (!Number.isFinite(targetRatio) || targetRatio < 1) throw new Error(`--ratio must be a number ≥ 1, got '${options.ratio}'`);
      const lines = createInterface({ input: createReadStream(options.qa, 'utf8'), crlfDelay: Infinity });
      const result = await evalCompress(lines, {
        targetRatio,
        maxContextTokens: options.maxContextTokens === undefined ? undefined : Number(options.maxContextTokens),
      });
      if (options.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      console.log(`rows: ${result.rows}   skipped: ${result.skipped.length}`);
      console.log(`compression ratio: ${result.ratio.toFixed(2)}× (${result.tokens_before} → ${result.tokens_after} tokens)`);
      console.log(`answer retention:  ${(100 * result.retention).toFixed(1)}%`);
      console.log(`throughput:        ${result.mb_per_s.toFixed(2)} MB/s`);
      for (const skipped of result.skipped.slice(0, 20)) console.log(`  line ${skipped.line}: ${skipped.error}`);
    });
}
