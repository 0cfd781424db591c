import type { Command } from 'commander';
import type { TrainRouterCommandOptions } from '../actions/train.ts';
import { positiveInteger } from './eval.ts';

export function registerTrainCommands(program: Command): void {
  const train = program.commands.find((command) => command.name() === 'train') ?? program.command('train').description('train Frugal\'s models on your own data');
  train
    .command('router')
    .description('train the "is the cheap model enough?" router on your outcomes (e.g. from `frugal export outcomes`)')
    .requiredOption('--outcomes <file>', 'outcomes JSONL with scores for both models on each line')
    .option('--out <file>', 'where to write the weights', 'router-weights.json')
    .option('--strong <model>', 'the expensive model (default: the better-scoring of two)')
    .option('--weak <model>', 'the cheap model')
    .option('--cv <folds>', 'folds for the calibration that maps quality_target to a threshold', positiveInteger, 5)
    .option('--data <name>', 'name of the training data recorded in the weights (default: the file name)')
    .option('--allow-simulated', 'train on outcomes lines marked "simulated": true (refused by default: not quality data)')
    .action(async (options: TrainRouterCommandOptions) => {
      const { trainRouterCommand } = await import('../actions/train.ts');
      trainRouterCommand(options);
    });
  train
    .command('verifier')
    .description('train the learned answer verifier (a cascade check) on outcomes that record the weak model\'s responses')
    .requiredOption('--outcomes <file>', 'outcomes JSONL with scores for both models and the weak model\'s "response" on each line')
    .option('--out <file>', 'where to write the weights', 'verifier-weights.json')
    .option('--strong <model>', 'the expensive model (default: the better-scoring of two)')
    .option('--weak <model>', 'the cheap model whose answers are checked')
    .option('--cv <folds>', 'folds for the calibration that maps quality_target to a minimum score', positiveInteger, 5)
    .option('--data <name>', 'name of the training data recorded in the weights (default: the file name)')
    .option('--allow-simulated', 'train on outcomes lines marked "simulated": true (refused by default: not quality data)')
    .action(async (options: TrainRouterCommandOptions) => {
      const { trainVerifierCommand } = await import('../actions/train.ts');
      trainVerifierCommand(options);
    });
}
