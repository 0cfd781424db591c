import { z } from 'zod';
import type { FrugalConfig } from '../config/schema.ts';
import { providerForModelName } from '../config/model-patterns.ts';
import { keyBudgetSchema } from '../pipeline/budget/budget-config.ts';

/**
 * A virtual key as stored. The secret itself is never stored: only its SHA-256 hash (for look-up)
 * and a short prefix (so people can tell keys apart in lists).
 */
export interface VirtualKey {
  id: string;
  name: string;
  tenant: string;
  /** The first characters of the secret, e.g. `frg-sk-AbCd12`. */
  prefix: string;
  /** Default tags merged under each request's own tags. */
  tags: Record<string, string>;
  /** Models and routes the key may use; `null` means all. */
  allowedModels: string[] | null;
  /** Requests per minute; `null` means unlimited. */
  rpm: number | null;
  /** Tokens per minute (input + output); `null` means unlimited. */
  tpm: number | null;
  budgets: z.infer<typeof keyBudgetSchema>[];
  /** Epoch milliseconds. */
  createdAt: number;
  revokedAt: number | null;
}

/** What an admin may set when creating a key (the API body and the CLI flags both parse into this). */
export const createKeyInputSchema = z.strictObject({
  name: z.string().min(1).max(200),
  tenant: z.string().min(1).max(200).default('default'),
  tags: z.record(z.string().min(1), z.string()).default({}),
  models: z.array(z.string().min(1)).min(1).optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  budgets: z.array(keyBudgetSchema).default([]),
});
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;

/**
 * The names in a key's `models` that a gateway with this config cannot serve: not a model, a route,
 * a name `rewrite` maps or a name a provider's `models` pattern matches (a key limited to such a name gets 403 on every request).
 */
export function unknownKeyModels(models: readonly string[] | undefined, config: Pick<FrugalConfig, 'models' | 'routes' | 'rewrite' | 'providers'>): string[] {
  return (models ?? []).filter(
    (name) => !(name in config.models) && !(name in config.routes) && !(name in config.rewrite) && !providerForModelName(config.providers, name),
  );
}

/** What a gateway with this config serves, for messages about unknown names. */
export function servableNames(config: Pick<FrugalConfig, 'models' | 'routes' | 'rewrite'>): string {
  return [...new Set([...Object.keys(config.models), ...Object.keys(config.routes), ...Object.keys(config.rewrite)])].join(', ') || 'none';
}

/** A stored row as the backends hand it back; JSON columns arrive as text. */
export const keyRowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    prefix: z.string(),
    tags: z.string(),
    allowed_models: z.string().nullable(),
    rpm: z.coerce.number().int().nullable(),
    tpm: z.coerce.number().int().nullable(),
    budgets: z.string(),
    created_at: z.coerce.number().int(),
    revoked_at: z.coerce.number().int().nullable(),
  })
  .transform(
    (row): VirtualKey => ({
      id: row.id,
      name: row.name,
      tenant: row.tenant,
      prefix: row.prefix,
      tags: z.record(z.string(), z.string()).parse(JSON.parse(row.tags)),
      allowedModels: row.allowed_models === null ? null : z.array(z.string()).parse(JSON.parse(row.allowed_models)),
      rpm: row.rpm,
      tpm: row.tpm,
      budgets: z.array(keyBudgetSchema).parse(JSON.parse(row.budgets)),
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }),
  );

/** The row a backend inserts for a new key. */
export function keyToRow(key: VirtualKey, keyHash: string) {
  return {
    id: key.id,
    key_hash: keyHash,
    name: key.name,
    tenant: key.tenant,
    prefix: key.prefix,
    tags: JSON.stringify(key.tags),
    allowed_models: key.allowedModels === null ? null : JSON.stringify(key.allowedModels),
    rpm: key.rpm,
    tpm: key.tpm,
    budgets: JSON.stringify(key.budgets),
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
  };
}

/** The JSON an admin sees for a key: never the hash, never the secret. */
export function keyToJson(key: VirtualKey) {
  return {
    id: key.id,
    name: key.name,
    tenant: key.tenant,
    prefix: key.prefix,
    tags: key.tags,
    models: key.allowedModels,
    rpm: key.rpm,
    tpm: key.tpm,
    budgets: key.budgets,
    created_at: new Date(key.createdAt).toISOString(),
    revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    status: key.revokedAt === null ? 'active' : 'revoked',
  };
}
