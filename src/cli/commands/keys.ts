import { InvalidArgumentError, type Command } from 'commander';
import type { CreateFlags, KeysCommandOptions } from '../actions/keys.ts';

const positiveInteger = (what: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
  return number;
};

function usdArgument(value: string): string {
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new InvalidArgumentError('a USD amount such as 25 or 2.50');
  return value;
}

function listArgument(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('a comma-separated list');
  return items;
}

function tagsArgument(value: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of listArgument(value)) {
    const equals = pair.indexOf('=');
    if (equals <= 0 || equals === pair.length - 1) throw new InvalidArgumentError(`tags are key=value pairs; got '${pair}'`);
    tags[pair.slice(0, equals).trim()] = pair.slice(equals + 1).trim();
  }
  return tags;
}

/** `frugal keys create|list|revoke`: works on the key store directly, no running gateway needed. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('manage virtual keys (stored hashed; a running gateway sees changes within 5 s)');
  const storeOptions = (command: Command) =>
    command
      .option('-c, --config <file>', 'config file (default: FRUGAL_CONFIG or ./frugal.config.yaml)')
      .option('--data-dir <dir>', 'data directory (default: config data_dir, FRUGAL_DATA_DIR or ./.frugal)');

  storeOptions(keys.command('create'))
    .description('create a key and print it once (it is stored only as a hash)')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--tenant <tenant>', 'tenant the key belongs to (default: default)')
    .option('--budget <usd>', 'spend limit per period in USD', usdArgument)
    .addOption(program.createOption('--period <period>', 'budget period (UTC)').choices(['day', 'month']).default('month'))
    .option('--soft', 'soft budget: warn and call the webhook instead of rejecting')
    .option('--webhook <url>', 'URL to POST to when the budget is reached')
    .option('--rpm <n>', 'requests per minute', positiveInteger('--rpm'))
    .option('--tpm <n>', 'tokens per minute', positiveInteger('--tpm'))
    .option('--models <list>', 'models and routes the key may use, comma-separated', listArgument)
    .option('--tags <pairs>', 'default tags, e.g. feature=support,team=care', tagsArgument)
    .option('--json', 'print JSON')
    .action(async (flags: CreateFlags) => {
      const { keysCreateCommand } = await import('../actions/keys.ts');
      await keysCreateCommand(flags);
    });

  storeOptions(keys.command('list'))
    .description('list keys (prefix only, never the secret)')
    .option('--json', 'print JSON')
    .action(async (flags: KeysCommandOptions & { json?: boolean }) => {
      const { keysListCommand } = await import('../actions/keys.ts');
      await keysListCommand(flags);
    });

  storeOptions(keys.command('revoke <id>'))
    .description('revoke a key (requests with it get 401 within 5 s)')
    .action(async (id: string, flags: KeysCommandOptions) => {
      const { keysRevokeCommand } = await import('../actions/keys.ts');
      await keysRevokeCommand(id, flags);
    });
}
