import { randomBytes } from 'node:crypto';
import { hashKey } from '../server/auth.ts';
import type { KeyStore } from './key-store.ts';
import { createKeyInputSchema, type CreateKeyInput, type VirtualKey } from './virtual-key.ts';

/** Every secret starts with this, so leaked keys are easy to recognise (and to scan for). */
export const KEY_SECRET_PREFIX = 'frg-sk-';
/** How much of the secret is kept in the clear for lists: the marker plus 6 random characters. */
const SHOWN_PREFIX_LENGTH = KEY_SECRET_PREFIX.length + 6;

/** A new key: the stored record and the secret, which is shown to the creator once and never again. */
export interface CreatedKey {
  key: VirtualKey;
  secret: string;
}

/** Validates the input, generates a 256-bit secret and stores only its hash. */
export async function createVirtualKey(store: KeyStore, input: CreateKeyInput, now = Date.now()): Promise<CreatedKey> {
  const parsed = createKeyInputSchema.parse(input);
  const secret = KEY_SECRET_PREFIX + randomBytes(32).toString('base64url');
  const key: VirtualKey = {
    id: `key_${randomBytes(8).toString('hex')}`,
    name: parsed.name,
    tenant: parsed.tenant,
    prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
    tags: parsed.tags,
    allowedModels: parsed.models ?? null,
    rpm: parsed.rpm ?? null,
    tpm: parsed.tpm ?? null,
    budgets: parsed.budgets,
    createdAt: now,
    revokedAt: null,
  };
  await store.insert(key, hashKey(secret));
  return { key, secret };
}
