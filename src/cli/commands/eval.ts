import { InvalidArgumentError, type Command } from 'commander';
import type { EvalRouterCommandOptions } from '../actions/eval.ts';

export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 2) throw new InvalidArgumentError('an integer of at least 2');
  return number;
}

/** `frugal eval router …` and `frugal eval task …`; joins an `eval` group another capability made. */
export function registerEvalCommands(program: Command): void {
  const evalGroup = program.commands.find((command) => command.name() === 'eval') ?? program.command('eval').description('measure levers on your own data');
  evalGroup
    .command('router')
    .description('cost–quality curve of the "is the cheap model enough?" router on your outcomes, cross-validated')
    .requiredOption('--outcomes <file>', 'outcomes JSONL: {"prompt", "outcomes": {"<model>": {"score", "cost"?, "response"?}}}')
    .option('--models <list>', 'models to route between, comma-separated (default: those on every line)')
    .option('--cv <folds>', 'folds of cross-validation', positiveInteger, 5)
    .option('--json', 'print JSON: baseline_model, points[], at_95 {quality_ratio, cost_ratio, share}, …')
    .option('-c, --config <file>', 'config whose model prices cost outcomes without a cost')
    .option('--allow-simulated', 'use outcomes lines marked "simulated": true (refused by default: not quality data)')
    .action(async (options: EvalRouterCommandOptions) => {
      const { evalRouterCommand } = await import('../actions/eval.ts');
      evalRouterCommand(options);
    });
  evalGroup
    .command('task')
    .description('accuracy and confusion matrix of the task classifier on labelled prompts')
    .requiredOption('--labeled <file>', 'JSONL: {"prompt": "…" | [messages], "task": "chat|code|classification|…"}')
    .option('--json', 'print JSON')
    .action(async (options: { labeled: string; json?: boolean }) => {
      const { evalTaskCommand } = await import('../actions/eval.ts');
      evalTaskCommand(options);
    });
}
