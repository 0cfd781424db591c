import type { Command } from 'commander';
import { registerCacheCommands } from './cache.ts';
import { registerEvalCommands } from './eval.ts';
import { registerExportCommands } from './export.ts';
import { registerTrainCommands } from './train.ts';
import { registerKeysCommands } from './keys.ts';
import { registerReportCommands } from './report.ts';
import { registerReplayCommands } from './replay.ts';
import { registerEvalCompressCommands } from './eval-compress.ts';

/**
 * Each capability adds its commands here (one file per command group under src/cli/commands/,
 * exporting `register<Name>Commands(program)`), so the CLI's core stays small. A command file holds
 * only what commander needs to parse flags and print --help (definitions, argument parsers); its
 * actions load the implementation from src/cli/actions/ with `await import(...)` when they run, so
 * starting the CLI loads no command's implementation (`frugal --help` used to load the whole gateway).
 */
export type CommandRegistrar = (program: Command) => void;

export const commandRegistrars: CommandRegistrar[] = [];
commandRegistrars.push(registerReportCommands);
commandRegistrars.push(registerKeysCommands);
commandRegistrars.push(registerCacheCommands);
commandRegistrars.push(registerReplayCommands);
commandRegistrars.push(registerEvalCommands, registerTrainCommands, registerExportCommands);
commandRegistrars.push(registerEvalCompressCommands);
