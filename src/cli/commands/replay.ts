import { InvalidArgumentError, type Command } from 'commander';
import type { ReplayFlags } from '../actions/replay.ts';
import type { BatchTag } from '../../replay/replay-request.ts';
import { registerExportLedgerCommands } from './export-ledger.ts';

/** `--batch-tags feature=reports,kind=nightly` → tag filters (a bare key matches any value). */
export function parseBatchTags(value: string): BatchTag[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals === 0 || equals === part.length - 1) throw new InvalidArgumentError(`'${part}' is not key=value or key`);
      return equals < 0 ? { key: part } : { key: part.slice(0, equals).trim(), value: part.slice(equals + 1).trim() };
    });
}

function passScore(value: string): number {
  const score = Number(value);
  if (!Number.isFinite(score) || score < 0 || score > 1) throw new InvalidArgumentError('a score from 0 to 1');
  return score;
}

/**
 * `frugal replay FILE`: what Frugal would have cost on logged traffic, simulated through the
 * configured pipeline with no upstream calls. Also registers `frugal export ledger`, whose output
 * replay reads.
 */
export function registerReplayCommands(program: Command): void {
  registerExportLedgerCommands(program);
  program
    .command('replay')
    .description('replay logged traffic (JSONL of {request, response} pairs, or `frugal export ledger`) through the configured pipeline offline: cost before/after, savings per lever and per tag')
    .argument('<file>', 'JSONL log: {"request": {...}, "response": {...}, "timestamp"?, "tags"?, "cost_usd"?} per line')
    .option('-c, --config <file>', 'config file to simulate (default: FRUGAL_CONFIG or ./frugal.config.yaml, else built-in defaults)')
    .option('--outcomes <file>', 'outcomes JSONL (the routing format): measured scores of other models on these prompts')
    .option('--pass-score <score>', 'an outcome below this score (0..1) is a failing answer', passScore, 0.5)
    .option('--batch-tags <tags>', 'requests with these tags are sent as batches: feature=reports,kind (comma-separated)', parseBatchTags)
    .option('--json', 'print the result as JSON')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--no-progress', 'no progress bar')
    .action(async function replay(this: Command, file: string, flags: ReplayFlags) {
      const { replayCommand } = await import('../actions/replay.ts');
      await replayCommand(this, file, flags);
    });
}
