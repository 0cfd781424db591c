import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../../config/load-config.ts';
import { parseOutcomes } from '../../pipeline/route/outcomes.ts';
import { formatReplayText, replayJson } from '../../replay/format-replay.ts';
import { countLines, readLines } from '../../replay/read-lines.ts';
import { replayHtml } from '../../replay/replay-html.ts';
import { ReplayOutcomes } from '../../replay/replay-outcomes.ts';
import type { BatchTag } from '../../replay/replay-request.ts';
import { runReplay } from '../../replay/run-replay.ts';

/** Flags of `frugal replay` (defined in ../commands/replay.ts). */
export interface ReplayFlags {
  config?: string;
  outcomes?: string;
  json?: boolean;
  html?: string;
  batchTags?: BatchTag[];
  passScore: number;
  progress: boolean;
}

/**
 * `frugal replay FILE`: what Frugal would have cost on logged traffic, simulated through the
 * configured pipeline with no upstream calls. `command` is the replay command, whose `error` ends it
 * with a usage error.
 */
export async function replayCommand(command: Command, file: string, flags: ReplayFlags): Promise<void> {
  const { config } = loadConfig({ path: flags.config });
  let outcomes: ReplayOutcomes | undefined;
  if (flags.outcomes) {
    try {
      outcomes = new ReplayOutcomes(parseOutcomes(readFileSync(flags.outcomes, 'utf8')), flags.passScore);
    } catch (error) {
      command.error(`error: --outcomes ${flags.outcomes}: ${(error as Error).message}`);
    }
  }
  let total: number;
  try {
    total = await countLines(file);
  } catch (error) {
    command.error(`error: cannot read ${file}: ${(error as Error).message}`);
  }
  const bar = flags.progress && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'replay [{bar}] {percentage}% | {value}/{total} lines | {eta_formatted} left', hideCursor: true }, Presets.shades_classic) : undefined;
  bar?.start(total, 0);
  let report;
  try {
    report = await runReplay(readLines(file), { config, outcomes, batchTags: flags.batchTags, onLine: (line) => bar?.update(line) });
  } finally {
    bar?.stop();
  }
  if (flags.html) writeFileSync(flags.html, replayHtml(report, { source: file }));
  if (flags.json) process.stdout.write(JSON.stringify(replayJson(report), null, 2) + '\n');
  else process.stdout.write(formatReplayText(report) + (flags.html ? `\n\nHTML report: ${flags.html}` : '') + '\n');
}
