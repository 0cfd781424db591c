import { InvalidArgumentError, type Command } from 'commander';
import type { EvalCacheCommandOptions } from '../actions/cache.ts';

function thresholdArgument(value: string): number {
  const threshold = Number(value);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new InvalidArgumentError('a similarity between 0 and 1');
  return threshold;
}

/** `frugal eval cache --pairs FILE [--json]`; joins an existing `eval` group if another capability made one. */
export function registerCacheCommands(program: Command): void {
  const evalGroup = program.commands.find((command) => command.name() === 'eval') ?? program.command('eval').description('measure levers on your own data');
  evalGroup
    .command('cache')
    .description('precision, recall and F1 of the semantic cache per threshold on labelled question pairs')
    .requiredOption('--pairs <file>', 'JSON lines: {"a": "…", "b": "…", "label": 0|1} (1 = same question)')
    .option('--json', 'print JSON: threshold, precision, recall, f1, curve[] …')
    .option('-c, --config <file>', 'config file (embedder, guards, threshold)')
    .option('--route <name>', "use this route's or model's threshold override")
    .option('--threshold <similarity>', 'operating point to report (default: the configured threshold)', thresholdArgument)
    .action(async (options: EvalCacheCommandOptions) => {
      const { evalCacheCommand } = await import('../actions/cache.ts');
      await evalCacheCommand(options);
    });
}
