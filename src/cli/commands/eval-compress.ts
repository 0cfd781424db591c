import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import { evalCompress } from '../../pipeline/compress/eval-compress.ts';

function ratioArgument(value: string): number {
  const ratio = Number(value);
  if (value.trim() === '' || !Number.isFinite(ratio) || ratio < 1) throw new InvalidArgumentError('a number ≥ 1 (tokens before ÷ after)');
  return ratio;
}

function tokensArgument(value: string): number {
  const tokens = Number(value);
  if (!Number.isInteger(tokens) || tokens < 1) throw new InvalidArgumentError('a whole number of tokens ≥ 1');
  return tokens;
}

/** `frugal eval compress --qa FILE [--ratio N] [--json]`: compression ratio, answer retention, throughput. */
export function registerEvalCompressCommands(program: Command): void {
  const evalGroup = program.commands.find((command) => command.name() === 'eval') ?? program.command('eval').description('measure levers on your own data');
  evalGroup
    .command('compress')
    .description('compress each {"context","question","answers"} line and report ratio, answer retention and MB/s')
    .requiredOption('--qa <file>', 'JSONL with context, question and answers')
    .option('--ratio <n>', 'target ratio (tokens before ÷ after)', ratioArgument, 5)
    .option('--max-context-tokens <n>', 'keep at most this many context tokens', tokensArgument)
    .option('--json', 'print JSON (ratio, retention, mb_per_s, …)')
    .action(async (options: { qa: string; ratio: number; maxContextTokens?: number; json?: boolean }) => {
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
    });
}
