import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/load-config.ts';
import { createVirtualKey } from '../../keys/create-virtual-key.ts';
import type { KeyStore } from '../../keys/key-store.ts';
import { openKeyStore } from '../../keys/open-key-store.ts';
import { keyToJson, servableNames, unknownKeyModels, type CreateKeyInput, type VirtualKey } from '../../keys/virtual-key.ts';
import { formatTable } from '../format-table.ts';

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

/** Flags of `frugal keys create` (defined in ../commands/keys.ts). */
export interface CreateFlags extends KeysCommandOptions {
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

/** `frugal keys create`: creates a key in the store and prints its secret once. */
export async function keysCreateCommand(flags: CreateFlags): Promise<void> {
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
}

/** `frugal keys list`: prefixes only, never the secret. */
export async function keysListCommand(flags: KeysCommandOptions & { json?: boolean }): Promise<void> {
  const list = await withStore(flags, (store) => store.list());
  if (flags.json) {
    console.log(JSON.stringify(list.map(keyToJson), null, 2));
    return;
  }
  if (list.length === 0) {
    console.log('No virtual keys yet. Create one with: frugal keys create --name NAME');
    return;
  }
  console.log(formatTable(
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
 ));
}

/** `frugal keys revoke <id>`. */
export async function keysRevokeCommand(id: string, flags: KeysCommandOptions): Promise<void> {
  const revoked = await withStore(flags, (store) => store.revoke(id, Date.now()));
  if (!revoked) {
    console.error(`No key with id ${id}`);
    process.exitCode = 1;
    return;
  }
  console.log(`Revoked ${revoked.id} (${revoked.name}) at ${new Date(revoked.revokedAt ?? Date.now()).toISOString()}.`);
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
