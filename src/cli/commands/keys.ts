import { InvalidArgumentError, type Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/load-config.ts';
import { createVirtualKey } from '../../keys/create-virtual-key.ts';
import type { KeyStore } from '../../keys/key-store.ts';
import { openKeyStore } from '../../keys/open-key-store.ts';
import { keyToJson, servableNames, unknownKeyModels, type CreateKeyInput, type VirtualKey } from '../../keys/virtual-key.ts';

/** Where the CLI finds the keys: the same place `frugal serve` with this config would. */
export interface KeysCommandOptions {
  config?: string;
  dataDir?: string;
}

/** Opens the key store of a deployment (data dir or PostgreSQL), as the gateway does. */
export async function openCliKeyStore(options: KeysCommandOptions): Promise<KeyStore> {
  const { config } = loadConfig({ path: options.config });
  if (config.store === 'memory') throw new Error('store: memory keeps keys inside the running gateway; use the admin API (POST /admin/keys)');
  const dataDir = options.dataDir ?? config.data_dir ?? process.env.FRUGAL_DATA_DIR ?? './.frugal';
  return openKeyStore({ store: config.store, dataDir });
}

interface CreateFlags extends KeysCommandOptions {
  name: string;
  tenant?: string;
  budget?: string;
  period: 'day' | 'month';
  soft?: boolean;
  webhook?: string;
  rpm?: number;
  tpm?: number;
  models?: string[];
  tags?: Record<string, string>;
  json?: boolean;
}

/** Turns `frugal keys create` flags into the admin API's input shape. */
export function createInputFromFlags(flags: CreateFlags): CreateKeyInput {
  if (flags.budget === undefined && (flags.soft || flags.webhook)) throw new InvalidArgumentError('--soft and --webhook need --budget');
  return {
    name: flags.name,
    tenant: flags.tenant,
    tags: flags.tags,
    models: flags.models,
    rpm: flags.rpm,
    tpm: flags.tpm,
    budgets: flags.budget === undefined ? [] : [{ limit_usd: flags.budget, period: flags.period, mode: flags.soft ? 'soft' : 'hard', webhook: flags.webhook }],
  };
}

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

function describeBudgets(key: VirtualKey): string {
  return key.budgets.map((budget) => `$${budget.limit_usd}/${budget.period}${budget.mode === 'soft' ? ' (soft)' : ''}`).join(', ');
}

async function withStore<T>(options: KeysCommandOptions, work: (store: KeyStore) => Promise<T>): Promise<T> {
  const store = await openCliKeyStore(options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
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
      let created;
      try {
        const input = createInputFromFlags(flags);
        warnAboutUnknownModels(flags);
        created = await withStore(flags, (store) => createVirtualKey(store, input));
      } catch (error) {
        reportUsageError(error);
        return;
      }
      if (flags.json) {
        console.log(JSON.stringify({ ...keyToJson(created.key), key: created.secret }, null, 2));
        return;
      }
      console.log(`Created key ${created.key.id} (${created.key.name}, tenant ${created.key.tenant}).`);
      console.log('');
      console.log(`  ${created.secret}`);
      console.log('');
      console.log('Copy it now: it is stored only as a hash and cannot be shown again.');
    });

  storeOptions(keys.command('list'))
    .description('list keys (prefix only, never the secret)')
    .option('--json', 'print JSON')
    .action(async (flags: KeysCommandOptions & { json?: boolean }) => {
      const list = await withStore(flags, (store) => store.list());
      if (flags.json) {
        console.log(JSON.stringify(list.map(keyToJson), null, 2));
        return;
      }
      if (list.length === 0) {
        console.log('No virtual keys yet. Create one with: frugal keys create --name NAME');
        return;
      }
      console.table(
        list.map((key) => ({
          id: key.id,
          name: key.name,
          tenant: key.tenant,
          prefix: `${key.prefix}…`,
          status: key.revokedAt === null ? 'active' : 'revoked',
          rpm: key.rpm ?? '',
          tpm: key.tpm ?? '',
          models: key.allowedModels?.join(',') ?? 'all',
          budgets: describeBudgets(key),
          created: new Date(key.createdAt).toISOString(),
        })),
      );
    });

  storeOptions(keys.command('revoke <id>'))
    .description('revoke a key (requests with it get 401 within 5 s)')
    .action(async (id: string, flags: KeysCommandOptions) => {
      const revoked = await withStore(flags, (store) => store.revoke(id, Date.now()));
      if (!revoked) {
        console.error(`No key with id ${id}`);
        process.exitCode = 1;
        return;
      }
      console.log(`Revoked ${revoked.id} (${revoked.name}) at ${new Date(revoked.revokedAt ?? Date.now()).toISOString()}.`);
    });
}

/**
 * `--models` names the config does not serve would make the key useless (403 on every request). The
 * CLI may read another config than the running gateway, so it warns instead of refusing.
 */
function warnAboutUnknownModels(flags: CreateFlags): void {
  const { config, source } = loadConfig({ path: flags.config });
  const unknown = unknownKeyModels(flags.models, config);
  if (unknown.length === 0) return;
  const where = source === 'defaults' ? 'the built-in default config (pass the gateway\'s config with --config)' : source;
  console.error(`warning: --models: ${unknown.map((name) => `'${name}'`).join(', ')} is no model or route in ${where} (configured: ${servableNames(config)}); the key gets 403 for it`);
}

/** Bad flag combinations and values read as a usage error (exit code 2), not a stack trace. */
function reportUsageError(error: unknown): void {
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    console.error(`error: ${issue.path.join('.') || 'input'}: ${issue.message}`);
  } else if (error instanceof InvalidArgumentError) {
    console.error(`error: ${error.message}`);
  } else throw error;
  process.exitCode = 2;
}
