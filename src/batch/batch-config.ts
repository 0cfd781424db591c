import { z } from 'zod';

/**
 * Micro-batching: small independent prompts that share a system prompt and arrive within
 * `window_ms` are packed into one call with numbered answers. Opt-in: only the model or route
 * names listed in `models` are packed.
 */
export const microBatchConfigSchema = z.strictObject({
  /** Requested model or route names whose requests may be packed. Empty: micro-batching is off. */
  models: z.array(z.string().min(1)).default([]),
  /** How long the first prompt of a pack waits for company (ms). */
  window_ms: z.number().int().min(1).max(60_000).default(50),
  /** Most prompts in one packed call. */
  max_items: z.number().int().min(2).max(100).default(10),
  /** Prompts longer than this (estimated tokens) are sent alone: packing pays off for short ones. */
  max_item_tokens: z.number().int().positive().default(256),
});
export type MicroBatchConfig = z.infer<typeof microBatchConfigSchema>;

/** The `batch:` section: the Files/Batches API, its workers and micro-batching. */
export const batchConfigSchema = z.strictObject({
  /** Run the batch workers in this process. Replicas that only serve traffic may turn them off. */
  workers_enabled: z.boolean().default(true),
  /** Lines run at once by this process's workers. */
  concurrency: z.number().int().min(1).max(1_000).default(8),
  /** Upper bound on line requests started per second by this process. */
  requests_per_second: z.number().positive().default(20),
  /** Attempts per line for retryable failures (429, 5xx, timeouts), with exponential backoff. */
  max_attempts: z.number().int().min(1).max(20).default(3),
  retry_base_delay_ms: z.number().int().min(0).default(1_000),
  /** How often the scheduler looks for work and checks expiry (ms). */
  poll_interval_ms: z.number().int().min(5).default(1_000),
  /** How often a submitted provider batch is polled (ms). */
  provider_poll_interval_ms: z.number().int().min(5).default(30_000),
  /**
   * A claimed line or batch is owned for this long and renewed while it runs; a crashed replica's
   * work is taken over once its lease runs out.
   */
  lease_ms: z.number().int().min(100).default(30_000),
  /** Send lines to the provider's own batch API (about 50% off) where the target deployment has one. */
  use_provider_batch: z.boolean().default(true),
  /** Largest accepted upload (bytes). */
  max_file_bytes: z.number().int().positive().default(100 * 1024 * 1024),
  /** Most lines in one input file (OpenAI allows 50,000). */
  max_lines: z.number().int().positive().default(50_000),
  /** PostgreSQL schema for the job tables when `store` is a postgres:// URL (default: the search_path). */
  postgres_schema: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a plain SQL identifier').optional(),
  micro_batch: microBatchConfigSchema.prefault({}),
});
export type BatchConfig = z.infer<typeof batchConfigSchema>;

/**
 * What the schema cannot see: `micro_batch.models` names that no request can carry (not a model, a
 * route, or a name `rewrite` maps), which would leave micro-batching silently off for them.
 */
export function batchConfigIssues(batch: BatchConfig, config: { models: Record<string, unknown>; routes: Record<string, unknown>; rewrite: Record<string, string> }): string[] {
  const known = new Set([...Object.keys(config.models), ...Object.keys(config.routes), ...Object.keys(config.rewrite)]);
  return batch.micro_batch.models.flatMap((name, index) =>
    known.has(name) ? [] : [`batch.micro_batch.models.${index}: no model or route is called '${name}' (configured: ${[...known].join(', ') || 'none'})`],
  );
}
