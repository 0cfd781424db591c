import { z } from 'zod';
import { compressionSettingsSchema } from '../pipeline/compress/compression-config.ts';
import { cacheConfigSchema } from '../pipeline/cache/cache-config.ts';
import { budgetsConfigSchema } from '../pipeline/budget/budget-config.ts';
import { batchConfigSchema } from '../batch/batch-config.ts';
import { routesSchema } from '../pipeline/route/route-config.ts';
import { modelPatternIssue } from './model-patterns.ts';

/** USD per 1M tokens. Numbers or decimal strings; kept exact by the price book. */
const usdAmount = z.union(
  [z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal number such as 0.15 (written as a number or a string)')],
  { error: 'expected a decimal number such as 0.15 (written as a number or a string)' },
);

export const priceSchema = z.strictObject({
  input: usdAmount,
  output: usdAmount,
  cache_read: usdAmount.optional(),
  cache_write: usdAmount.optional(),
  batch_multiplier: usdAmount.optional(),
});

const simulateSchema = z.strictObject({
  /** Latency before the first byte, per model (ms); `default` applies to the rest. */
  latency_ms: z.union([z.number().nonnegative(), z.record(z.string(), z.number().nonnegative())]).default(0),
  /** Delay between streamed chunks (ms). */
  chunk_delay_ms: z.number().nonnegative().default(0),
  /** Share of calls that fail with a 503, for trying fallback offline. */
  failure_rate: z.number().min(0).max(1).default(0),
});

export const providerSchema = z.strictObject({
  type: z.enum(['openai', 'openai-compatible', 'anthropic', 'simulated']),
  base_url: z.url().optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** genai-prices provider id for price look-ups (defaults from the type or base_url). */
  price_family: z.string().optional(),
  timeout_ms: z.number().int().positive().optional(),
  max_connections: z.number().int().positive().default(128),
  /** Anthropic: add cache_control breakpoints on stable prefixes (tools, system, long documents), at most four. */
  prompt_cache: z.boolean().default(true),
  /** The provider serves OpenAI's Files+Batch API (default: true for type `openai` and `anthropic`). */
  batch_api: z.boolean().optional(),
  /**
   * The upstream serves OpenAI's legacy `/v1/completions` itself (vLLM, llama.cpp server, OpenAI for
   * gpt-3.5-turbo-instruct): POST /v1/completions requests for its models are sent there as written instead
   * of being translated to chat. Only for types `openai` and `openai-compatible` (docs/completions-api.md).
   */
  completions_api: z.boolean().default(false),
  simulate: simulateSchema.optional(),
  /**
   * Model names this provider serves without a `models:` entry: `['gpt-*', 'o3*']` (`*` is any run of
   * characters, the rest literal; src/config/model-patterns.ts). Priced from the price book; unpriced names are refused.
   */
  models: z
    .array(
      z.string().superRefine((pattern, context) => {
        const issue = modelPatternIssue(pattern);
        if (issue) context.addIssue({ code: 'custom', message: issue });
      }),
    )
    .optional(),
}).refine((provider) => !provider.completions_api || provider.type === 'openai' || provider.type === 'openai-compatible', {
  message: 'completions_api is only for providers of type openai or openai-compatible (an upstream that serves /v1/completions)',
  path: ['completions_api'],
});
export type ProviderConfig = z.infer<typeof providerSchema>;

export const deploymentSchema = z.strictObject({
  provider: z.string().min(1),
  upstream_model: z.string().min(1).optional(),
  price: priceSchema.optional(),
});

export const modelSchema = z
  .strictObject({
    provider: z.string().min(1).optional(),
    upstream_model: z.string().min(1).optional(),
    price: priceSchema.optional(),
    deployments: z.array(deploymentSchema).min(1).optional(),
    description: z.string().optional(),
    /**
     * What the model serves: `chat` (chat completions and messages only), `embedding` (POST
     * /v1/embeddings only). Unset: both endpoints are offered and the upstream decides.
     */
    kind: z.enum(['chat', 'embedding'], { error: "expected 'chat' or 'embedding'" }).optional(),
  })
  .refine((model) => Boolean(model.provider) !== Boolean(model.deployments), {
    message: 'a model needs exactly one of `provider` or `deployments`',
  });
export type ModelConfig = z.infer<typeof modelSchema>;

export const retrySchema = z.strictObject({
  max_retries: z.number().int().min(0).max(10).default(2),
  base_delay_ms: z.number().int().min(0).default(200),
  max_delay_ms: z.number().int().min(0).default(8_000),
  /** Per-attempt timeout: to the whole answer for plain calls, to the first byte for streams. */
  timeout_ms: z.number().int().positive().default(60_000),
  /** Longest retry-after Frugal waits for before moving to the next deployment instead. */
  max_retry_after_ms: z.number().int().min(0).default(10_000),
});

export const breakerSchema = z.strictObject({
  failure_threshold: z.number().int().positive().default(5),
  cooldown_ms: z.number().int().positive().default(30_000),
});

const ORIGIN_HINT = 'expected an origin such as https://app.example.com (http or https, host and optional port, no path)';

/**
 * One browser origin, normalised as browsers send it (lower-case host, no default port, no trailing slash),
 * or an error message.
 */
function normaliseOrigin(value: unknown): { origin: string } | { error: string } {
  if (value === '*') return { error: "'*' cannot be one origin of a list: write origins: '*' to allow every origin" };
  if (typeof value !== 'string') return { error: ORIGIN_HINT };
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The regex refuses what URL would quietly drop: a path, an empty `?` or `#`, user info.
  const bare = url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && /^https?:\/\/[^/?#@]+\/?$/i.test(value);
  return bare ? { origin: url!.origin } : { error: `${ORIGIN_HINT}; got '${value}'` };
}

/** `'*'`, or a non-empty list of origins, each error naming its index. */
const corsOrigins = z.unknown().transform((value, context): '*' | string[] => {
  if (value === '*') return '*';
  if (!Array.isArray(value)) {
    context.addIssue({ code: 'custom', message: "expected '*' or a list of origins such as ['https://app.example.com']" });
    return z.NEVER;
  }
  if (value.length === 0) {
    context.addIssue({ code: 'custom', message: "list at least one origin, or write origins: '*'" });
    return z.NEVER;
  }
  const origins: string[] = [];
  value.forEach((item, index) => {
    const result = normaliseOrigin(item);
    if ('error' in result) context.addIssue({ code: 'custom', message: result.error, path: [index] });
    else origins.push(result.origin);
  });
  return origins.length === value.length ? origins : z.NEVER;
});

/**
 * Browser access (CORS) to the API paths. Off unless configured: a gateway on localhost without a gateway
 * key would otherwise be callable from any web page its user visits.
 */
export const corsSchema = z.strictObject({
  /** `'*'` (any origin) or the exact origins allowed. */
  origins: corsOrigins,
  /** How long a browser may reuse a preflight answer (Access-Control-Max-Age). */
  max_age_seconds: z.number().int().min(0).max(86_400).default(600),
});
export type CorsConfig = z.infer<typeof corsSchema>;

export const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(8787),
  host: z.string().default('127.0.0.1'),
  body_limit_bytes: z.number().int().positive().default(4 * 1024 * 1024),
  /** Off unless set (see corsSchema). */
  cors: corsSchema.optional(),
  /**
   * Host names (without port) a gateway that needs no key also answers on its loopback interface, besides
   * `localhost` and IP addresses: every other name there is refused, because a web page re-pointing its
   * own name at 127.0.0.1 (DNS rebinding) would otherwise read and spend through the local gateway.
   */
  allowed_hosts: z.array(z.string().min(1)).default([]),
});

export const ledgerSchema = z.strictObject({
  flush_interval_ms: z.number().int().positive().default(200),
  max_batch: z.number().int().positive().default(500),
});

/**
 * Stored responses of the Responses API (docs/responses-api.md): what `previous_response_id` and
 * `GET /v1/responses/{id}` read. Kept in `responses.db` under data_dir (memory with `store: memory`,
 * Redis when `redis` is set).
 */
export const responsesConfigSchema = z.strictObject({
  /** `false`: nothing is stored, and `previous_response_id` is refused as before storage existed. */
  store: z.boolean().default(true),
  /** A stored response is gone this many days after it was created. */
  ttl_days: z.number().positive().max(3_650).default(30),
  /**
   * Most responses kept; past it the least recently used go first. Unset: the store's default (memory
   * 10,000, SQLite 100,000). Redis is bounded by its own `maxmemory`.
   */
  max_entries: z.number().int().positive().optional(),
  /** Most bytes kept (each response with its whole conversation). Unset: memory 64 MiB, SQLite 1 GiB. */
  max_bytes: z.number().int().positive().optional(),
});
export type ResponsesConfig = z.infer<typeof responsesConfigSchema>;

export const configSchema = z.strictObject({
  server: serverSchema.prefault({}),
  /** `required`: every request needs a gateway or virtual key; `optional`: only once keys exist. */
  auth: z
    .strictObject({
      mode: z.enum(['optional', 'required']).default('optional'),
      keys: z.array(z.string().min(8)).default([]),
      admin_key: z.string().min(8).optional(),
    })
    .prefault({}),
  /** `sqlite` (default, under data_dir), `memory`, or a `postgres://` URL for the ledger and jobs. */
  store: z.union([z.enum(['sqlite', 'memory']), z.string().regex(/^postgres(ql)?:\/\//, 'sqlite, memory or a postgres:// URL')]).default('sqlite'),
  redis: z.string().regex(/^rediss?:\/\//, 'a redis:// URL').optional(),
  data_dir: z.string().optional(),
  providers: z.record(z.string(), providerSchema).default({}),
  models: z.record(z.string(), modelSchema).default({}),
  /** Virtual models: task routing, quality routing and cascades (see docs/CONFIG.md). */
  routes: routesSchema.default({}),
  /** Requests for the key are served as the value (a route or model): `{ gpt-4o: auto }`. */
  rewrite: z.record(z.string(), z.string()).default({}),
  retry: retrySchema.prefault({}),
  breaker: breakerSchema.prefault({}),
  ledger: ledgerSchema.prefault({}),
  cache: cacheConfigSchema.prefault({}),
  /** Prompt compression per route and model (docs/compression.md). */
  compression: compressionSettingsSchema.prefault({}),
  /** Hard and soft spend limits per tag, tenant or globally (docs/governance.md); key budgets live on the keys. */
  budgets: budgetsConfigSchema,
  /** Files/Batches API, batch workers and micro-batching (src/batch/batch-config.ts). */
  batch: batchConfigSchema.prefault({}),
  /** Stored Responses API answers: previous_response_id, GET/DELETE /v1/responses/{id} (docs/responses-api.md). */
  responses: responsesConfigSchema.prefault({}),
  logging: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .prefault({}),
});
export type FrugalConfig = z.infer<typeof configSchema>;
