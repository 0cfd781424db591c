import { z } from 'zod';
import { DEFAULT_THRESHOLD } from './semantic/eval-cache.ts';
import { staticWeightsThreshold } from './semantic/static-embedder.ts';

/** What a request with `temperature > 0` does: skip the cache, or be cached like any other. */
const temperaturePolicy = z.enum(['bypass', 'cache']);

/** Per model/route settings; anything left out falls back to the top-level `cache` value. */
export const cacheOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  ttl_seconds: z.number().int().positive().optional(),
  temperature_above_zero: temperaturePolicy.optional(),
  per_user: z.boolean().optional(),
  semantic: z
    .strictObject({
      enabled: z.boolean().optional(),
      threshold: z.number().min(0).max(1).optional(),
    })
    .optional(),
});
export type CacheOverride = z.infer<typeof cacheOverrideSchema>;

/** An `/v1/embeddings` model from `models`, with the width of the vectors it returns. */
const upstreamEmbedderSchema = z.strictObject({
  model: z.string().min(1),
  dimensions: z.number().int().positive(),
});

export const semanticConfigSchema = z
  .strictObject({
    /** `routes`: only requests naming a route (virtual model); `all`: real models too; `off`. */
    enabled: z.enum(['routes', 'all', 'off']).default('routes'),
    /**
     * `local`: hashed n-grams, no weights; `static`: a learned static embedding from the user's own
     * weights file (`static_weights`); `model2vec`: a pretrained static embedding model in a directory
     * the user supplies (`model_dir`); or an upstream embeddings model (its cost is charged).
     */
    embedder: z
      .union([z.literal('local'), z.literal('static'), z.literal('model2vec'), upstreamEmbedderSchema], {
        error: (issue) =>
          typeof issue.input === 'object' && issue.input !== null
            ? 'an upstream embedder is { model: <a models entry that serves /v1/embeddings>, dimensions: <width of its vectors> }'
            : "'local', 'static', 'model2vec', or { model, dimensions } for an upstream embeddings model",
      })
      .default('local'),
    /**
     * The weights file the `static` embedder needs (required with it; none ships with Frugal), written
     * by scripts/train-static-embedder.ts from the user's own pairs. Relative to the working directory.
     */
    static_weights: z.string().min(1).optional(),
    /**
     * The directory of a model2vec-format static embedding model (`model.safetensors` +
     * `tokenizer.json`, WordPiece vocabularies), required with `embedder: model2vec`. Nothing is
     * downloaded: fetch the model yourself. Relative to the working directory.
     */
    model_dir: z.string().min(1).optional(),
    /**
     * Cosine similarity a near-duplicate needs. Defaults: 0.94 for `local`, the weights file's own
     * threshold for `static`; required for an upstream embedder.
     */
    threshold: z.number().min(0).max(1).optional(),
    /** A cheap model asked "same question?" before a semantic hit is served (charged to the request). */
    verifier: z.strictObject({ model: z.string().min(1) }).optional(),
    /** Precision guards veto hits whose questions differ in numbers, dates, names, negation. */
    guards: z.boolean().default(true),
    capacity_per_namespace: z.number().int().positive().default(10_000),
    /**
     * How often (ms) a namespace in use checks the shared store for entries other replicas added;
     * 0 turns it off (entries then reach other replicas only when they load the namespace).
     */
    sync_interval_ms: z.number().int().min(0).default(2_000),
  })
  .superRefine((semantic, issues) => {
    if (semantic.embedder === 'static' && semantic.static_weights === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['static_weights'],
        message:
          '`embedder: static` needs `static_weights: PATH`, a weights file trained on your own pairs with scripts/train-static-embedder.ts (Frugal ships none; see docs/cache.md)',
      });
    }
    if (semantic.embedder === 'model2vec' && semantic.model_dir === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['model_dir'],
        message: '`embedder: model2vec` needs `model_dir: PATH`, a directory holding model.safetensors and tokenizer.json (see docs/cache.md)',
      });
    }
    if (semantic.embedder === 'model2vec' && semantic.threshold === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'a model2vec embedder needs an explicit threshold (measure one on your own pairs with `frugal eval cache --pairs FILE`)',
      });
    }
    if (typeof semantic.embedder === 'object' && semantic.threshold === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'an upstream embedder needs an explicit threshold (measure one with `frugal eval cache --pairs FILE`)',
      });
    }
  });

export const personalDataSchema = z.strictObject({
  emails: z.boolean().default(true),
  phone_numbers: z.boolean().default(true),
  card_numbers: z.boolean().default(true),
  /** The request's `user` string appearing in the request's messages or in the answer. */
  user_id: z.boolean().default(true),
});

/** The `cache` section of the config (docs/cache.md). */
export const cacheConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  ttl_seconds: z.number().int().positive().default(86_400),
  /** Every cache key starts with this, so several deployments (or test runs) can share one store. */
  key_prefix: z.string().default('cache:'),
  /** Larger answers are not stored, and larger stored entries are read as misses. */
  max_entry_bytes: z.number().int().positive().default(1_048_576),
  /** Bounds of a memory or SQLite cache store (LRU); Redis is bounded by its own `maxmemory`. */
  max_entries: z.number().int().positive().optional(),
  max_bytes: z.number().int().positive().optional(),
  temperature_above_zero: temperaturePolicy.default('bypass'),
  /** Identical concurrent misses share one upstream call. */
  coalesce: z.boolean().default(true),
  /** Keys and semantic namespaces include the request's `user`: answers are only replayed to the same user. */
  per_user: z.boolean().default(false),
  personal_data: personalDataSchema.prefault({}),
  semantic: semanticConfigSchema.prefault({}),
  /** Per model or route name (the name after `rewrite`). */
  overrides: z.record(z.string(), cacheOverrideSchema).default({}),
});
export type CacheConfig = z.infer<typeof cacheConfigSchema>;

/**
 * What the schema cannot see: names in the `cache` section that must exist elsewhere in the config.
 * An override for a name that is neither a model nor a route would never apply (a typo, or the name
 * before `rewrite`, when the cache works on the name after it), so it is refused rather than ignored.
 */
export function cacheConfigIssues(cache: CacheConfig, models: readonly string[], routes: readonly string[], rewrite: Record<string, string> = {}): string[] {
  const issues: string[] = [];
  const modelList = models.join(', ') || 'none';
  const { embedder, verifier } = cache.semantic;
  if (typeof embedder === 'object' && !models.includes(embedder.model)) {
    issues.push(`cache.semantic.embedder.model: unknown model '${embedder.model}' (configured models: ${modelList})`);
  }
  if (verifier && !models.includes(verifier.model)) {
    issues.push(`cache.semantic.verifier.model: unknown model '${verifier.model}' (configured models: ${modelList})`);
  }
  for (const name of Object.keys(cache.overrides)) {
    const rewritten = rewrite[name];
    if (rewritten !== undefined) {
      issues.push(`cache.overrides.${name}: requests for '${name}' are rewritten to '${rewritten}' before the cache sees them; key the override by '${rewritten}'`);
    } else if (!models.includes(name) && !routes.includes(name)) {
      issues.push(`cache.overrides.${name}: no model or route is called '${name}' (configured: ${[...models, ...routes].join(', ') || 'none'})`);
    }
  }
  return issues;
}

/** The settings that apply to one model or route. */
export interface CachePolicy {
  enabled: boolean;
  ttlMs: number;
  cacheAboveZeroTemperature: boolean;
  perUser: boolean;
  semantic: boolean;
  threshold: number;
}

/**
 * Resolves the policy for the model or route a request names. `isRoute` decides the semantic
 * default: on for routes (virtual models), off for real models, unless configured otherwise.
 */
export function resolveCachePolicy(config: CacheConfig, name: string, isRoute: boolean): CachePolicy {
  const override = config.overrides[name] ?? {};
  const semanticDefault = config.semantic.enabled === 'all' || (config.semantic.enabled === 'routes' && isRoute);
  return {
    enabled: override.enabled ?? config.enabled,
    ttlMs: (override.ttl_seconds ?? config.ttl_seconds) * 1000,
    cacheAboveZeroTemperature: (override.temperature_above_zero ?? config.temperature_above_zero) === 'cache',
    perUser: override.per_user ?? config.per_user,
    semantic: config.semantic.enabled !== 'off' && (override.semantic?.enabled ?? semanticDefault),
    threshold: override.semantic?.threshold ?? config.semantic.threshold ?? defaultThreshold(config.semantic),
  };
}

/**
 * The threshold an embedder was tuned for: `local`'s constant, or the one recorded in the header of
 * the user's static weights file (chosen on that training run's validation split).
 */
export function defaultThreshold(semantic: Pick<CacheConfig['semantic'], 'embedder' | 'static_weights'>): number {
  if (semantic.embedder !== 'static') return DEFAULT_THRESHOLD;
  if (semantic.static_weights === undefined) throw new Error('cache.semantic.embedder `static` needs cache.semantic.static_weights');
  return staticWeightsThreshold(semantic.static_weights);
}

/** The longest TTL any policy uses: semantic indexes live that long after their last write. */
export function longestTtlMs(config: CacheConfig): number {
  const ttls = [config.ttl_seconds, ...Object.values(config.overrides).map((override) => override.ttl_seconds ?? 0)];
  return Math.max(...ttls) * 1000;
}
