import { InvalidArgumentError, type Command } from 'commander';
import type { EvalCompressCommandOptions } from '../actions/eval-compress.ts';

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
    .action(async (options: EvalCompressCommandOptions) => {
      const { evalCompressCommand } = await import('../actions/eval-compress.ts');
      await evalCompressCommand(options);
    });
}
