import { z } from 'zod';

/**
 * Compression settings: one block per route or model, merged over a default block. Compression is
 * lossy, so it is off unless a route, a model or the request (`x-frugal-compress: on`) turns it on.
 */

export const compressibleRoleSchema = z.enum(['system', 'developer', 'tool', 'assistant', 'user'], {
  error: 'roles may only list system, developer, tool, assistant (earlier assistant turns) or user',
});

const targetRatio = z
  .number({ error: 'target_ratio must be a number' })
  .min(1, 'target_ratio is tokens before ÷ after and must be at least 1 (5 keeps about a fifth)')
  .max(100, 'target_ratio above 100 would keep almost nothing');
const maxContextTokens = z
  .number({ error: 'max_context_tokens must be a number' })
  .int('max_context_tokens must be a whole number of tokens')
  .positive('max_context_tokens must be positive');
const minTokens = z
  .number({ error: 'min_tokens must be a number' })
  .int('min_tokens must be a whole number of tokens')
  .nonnegative('min_tokens must not be negative');
const mode = z.enum(['extractive', 'summary', 'both'], { error: "mode must be 'extractive', 'summary' or 'both'" });
const roles = z.array(compressibleRoleSchema).min(1, 'roles must list at least one role');

/** Defaults, in one place. */
export const COMPRESSION_DEFAULTS = {
  enabled: false,
  mode: 'extractive',
  target_ratio: 3,
  min_tokens: 1000,
  roles: ['system', 'developer', 'tool', 'assistant'],
} as const;

/** One compression block, every field set (defaults filled). Unknown keys are rejected, so typos surface. */
export const compressionConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'enabled must be true or false' }).default(COMPRESSION_DEFAULTS.enabled),
  mode: mode.default(COMPRESSION_DEFAULTS.mode),
  target_ratio: targetRatio.default(COMPRESSION_DEFAULTS.target_ratio),
  /** Caps the kept tokens of the compressible text; with target_ratio, the smaller budget wins. */
  max_context_tokens: maxContextTokens.optional(),
  /** Compressible text below this many tokens is sent unchanged. */
  min_tokens: minTokens.default(COMPRESSION_DEFAULTS.min_tokens),
  roles: roles.default([...COMPRESSION_DEFAULTS.roles]),
});
/** A resolved compression block. */
export type CompressionConfig = z.infer<typeof compressionConfigSchema>;

/** A per-route or per-model override: any subset of the fields, merged over the default block. */
export const compressionOverrideSchema = z.strictObject({
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  mode: mode.optional(),
  target_ratio: targetRatio.optional(),
  max_context_tokens: maxContextTokens.optional(),
  min_tokens: minTokens.optional(),
  roles: roles.optional(),
});
export type CompressionOverride = z.infer<typeof compressionOverrideSchema>;

/** The `compression:` section of the config file. */
export const compressionSettingsSchema = z.strictObject({
  /** The cheap model that writes summaries for `mode: summary | both` (memoized by content hash, charged once). */
  summary_model: z.string().min(1).optional(),
  default: compressionConfigSchema.default(compressionConfigSchema.parse({})),
  routes: z.record(z.string(), compressionOverrideSchema).default({}),
  models: z.record(z.string(), compressionOverrideSchema).default({}),
});
export type CompressionSettings = z.infer<typeof compressionSettingsSchema>;
export type CompressionSettingsInput = z.input<typeof compressionSettingsSchema>;

/**
 * What the schema cannot see: override names that are no route (under `routes`) or no model (under
 * `models`), which would never apply, and a summary mode without a `summary_model` to write the
 * summaries (such requests would go out uncompressed).
 */
export function compressionConfigIssues(settings: CompressionSettings, models: readonly string[], routes: readonly string[]): string[] {
  const issues: string[] = [];
  for (const name of Object.keys(settings.routes)) {
    if (routes.includes(name)) continue;
    const hint = models.includes(name) ? `; '${name}' is a model: put it under compression.models` : ` (configured routes: ${routes.join(', ') || 'none'})`;
    issues.push(`compression.routes.${name}: no route is called '${name}'${hint}`);
  }
  for (const name of Object.keys(settings.models)) {
    if (models.includes(name)) continue;
    const hint = routes.includes(name) ? `; '${name}' is a route: put it under compression.routes` : ` (configured models: ${models.join(', ') || 'none'})`;
    issues.push(`compression.models.${name}: no model is called '${name}'${hint}`);
  }
  if (settings.summary_model === undefined) {
    const blocks: [string, CompressionOverride][] = [['default', settings.default], ...Object.entries(settings.routes).map(([name, block]) => [`routes.${name}`, block] as [string, CompressionOverride]), ...Object.entries(settings.models).map(([name, block]) => [`models.${name}`, block] as [string, CompressionOverride])];
    for (const [where, block] of blocks) {
      if (block.mode === 'summary' || block.mode === 'both') issues.push(`compression.${where}.mode: '${block.mode}' needs compression.summary_model, the model that writes the summaries`);
    }
  }
  return issues;
}

/**
 * The block for a request: the default, then the model's override, then the route's (most
 * specific wins).
 */
export function resolveCompressionConfig(
  settings: CompressionSettings,
  where: { route?: string; model?: string },
): CompressionConfig {
  const modelOverride = where.model === undefined ? undefined : settings.models[where.model];
  const routeOverride = where.route === undefined ? undefined : settings.routes[where.route];
  return { ...settings.default, ...definedOnly(modelOverride), ...definedOnly(routeOverride) };
}

function definedOnly(override: CompressionOverride | undefined): Partial<CompressionConfig> {
  if (!override) return {};
  return Object.fromEntries(Object.entries(override).filter(([, value]) => value !== undefined)) as Partial<CompressionConfig>;
}

/** Parses settings with a clear error naming the field (e.g. `compression.routes.docs.target_ratio: …`). */
export function parseCompressionSettings(input: unknown, path = 'compression'): CompressionSettings {
  const parsed = compressionSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new Error(`Invalid compression settings — ${details.join('; ')}`);
}
