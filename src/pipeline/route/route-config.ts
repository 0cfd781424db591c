import { z } from 'zod';
import { TASK_CLASSES } from './task-class.ts';

/**
 * The `routes:` section: virtual models that clients request by name (`model: "auto"`). A route
 * picks the model per request by task (`tasks`), by the "is the cheap model enough?" scorer
 * (`quality`), or tries models cheap-first (`cascade`). See docs/routing.md.
 */

const modelName = z.string().min(1, 'a model name');

/** One cascade tier: a model, and the score its answer needs to be accepted. */
const tierSchema = z.union([
  modelName,
  z.strictObject({
    model: modelName,
    /** Minimum answer score (0..1) to accept this tier's answer; default 0.8 for the first tier, 0.9 after. */
    threshold: z.number().min(0).max(1).optional(),
  }),
]);
export type TierConfig = z.infer<typeof tierSchema>;

/** Cheap-first tiers, at least two (one tier is just a model). */
export const cascadeSchema = z.array(tierSchema).min(2, 'a cascade needs at least two tiers (cheapest first)');

/** Which built-in answer checks run on every cascade tier (all on by default). */
export const checksSchema = z.strictObject({
  /** Answers shorter than this (trimmed characters) are rejected; 1 rejects only empty answers. */
  min_chars: z.number().int().min(0).default(1),
  /** "I can't help with that", "I don't know", and the `refusal` field. */
  refusal: z.boolean().default(true),
  /** `finish_reason: length` (cut off by max_tokens). */
  truncated: z.boolean().default(true),
  /** JSON for `response_format` json_object, and matching the json_schema (ajv). */
  json: z.boolean().default(true),
  /** Tool-call arguments valid JSON and valid against the tool's parameters schema. */
  tool_arguments: z.boolean().default(true),
  /** Use the provider's logprobs, when it returns them, as the answer's confidence score. */
  logprobs: z.boolean().default(true),
  /** Recompute every arithmetic statement in the answer ("15 + 25 = 45") and reject one that does not add up. Off by default. */
  math: z.boolean().default(false),
  /**
   * Read the explicit, checkable instructions of the last user message ("in fewer than 50 words", "as 3
   * bullet points", "in JSON", "respond in French", "start every sentence with A", "do not use the word …")
   * and reject an answer that breaks one. Off by default.
   */
  instructions: z.boolean().default(false),
  /** The learned answer verifier (`frugal train verifier`): rejects a non-final tier's answer it scores below the bar. */
  verifier: z
    .strictObject({
      /** Weights file from `frugal train verifier`, relative to the config file. */
      weights: z.string().min(1, 'a weights file'),
      /** Lowest P(as good as the strong model) to accept, 0..1. */
      min_score: z.number().min(0).max(1).optional(),
      /** Fraction of the strong model's quality to keep, read off the weights' calibration (default 0.95). */
      quality_target: z.number().gt(0).max(1).optional(),
    })
    .refine((verifier) => verifier.min_score === undefined || verifier.quality_target === undefined, {
      message: 'give either min_score or quality_target, not both',
    })
    .optional(),
});
export type ChecksConfig = z.infer<typeof checksSchema>;

export const judgeSchema = z.strictObject({
  /** A cheap model that scores each tier's answer 1..10 (its calls are charged to the request). */
  model: modelName,
  /** Output tokens the judge may use (its worst case counts against the cost cap). */
  max_tokens: z.number().int().positive().default(16),
});

export const shadowSchema = z.strictObject({
  /** Share of requests (0..1) also sent to the baseline model in the background. */
  sample: z.number().min(0).max(1),
  /** The model that scores both answers blind (randomized order). */
  judge: modelName,
});

const taskTargetSchema = z.union([modelName, cascadeSchema]);

export const qualitySchema = z
  .strictObject({
    strong: modelName,
    weak: modelName,
    /** Fraction of the strong model's quality to keep (read off the weights' calibration); default 0.95. */
    quality_target: z.number().gt(0).max(1).optional(),
    /** Raw threshold on P(weak is enough) instead of a quality target. */
    threshold: z.number().min(0).max(1.01).optional(),
    /** Weights from `frugal train router` (default: the shipped weights trained on public outcomes). */
    weights: z.string().min(1).optional(),
  })
  .refine((quality) => quality.quality_target === undefined || quality.threshold === undefined, {
    message: 'give either quality_target or threshold, not both',
  });

export const routeSchema = z
  .strictObject({
    description: z.string().optional(),
    /** The model savings are measured against (default: the route's most expensive model). */
    baseline: modelName.optional(),
    /** Task class → model (or a cascade list for that task). */
    tasks: z.partialRecord(z.enum(TASK_CLASSES), taskTargetSchema).optional(),
    /** Model for tasks the `tasks` map leaves out (default: the `chat` entry, else the baseline). */
    default: taskTargetSchema.optional(),
    quality: qualitySchema.optional(),
    cascade: cascadeSchema.optional(),
    checks: checksSchema.prefault({}),
    judge: judgeSchema.optional(),
    /** A JS/ESM file whose default export is `(request, response) => boolean | { pass, score }`. */
    check_module: z.string().min(1).optional(),
    /** Hard cap on everything one request may spend through this route (all tiers and the judge). */
    max_cost_usd: z.number().nonnegative().optional(),
    /** Output tokens assumed (and sent as max_tokens) under a cost cap when the client sets none. */
    max_output_tokens: z.number().int().positive().default(4096),
    shadow: shadowSchema.optional(),
  })
  .refine((route) => [route.tasks, route.quality, route.cascade, route.default].filter((part) => part !== undefined).length > 0, {
    message: 'a route needs `tasks`, `quality`, `cascade` or `default` to choose a model',
  })
  .refine((route) => !(route.quality && route.cascade), { message: 'use either `quality` or `cascade` in one route, not both' });
export type RouteConfig = z.infer<typeof routeSchema>;

export const routesSchema = z.record(z.string().regex(/^[A-Za-z0-9._:/-]+$/, 'route names use letters, digits and . _ : / -'), routeSchema);

/** Every model name a route refers to, with the config path that names it. */
export function routeModelReferences(route: RouteConfig): { path: string; model: string }[] {
  const found: { path: string; model: string }[] = [];
  const tiers = (path: string, target: string | TierConfig[]) => {
    if (typeof target === 'string') found.push({ path, model: target });
    else target.forEach((tier, index) => found.push({ path: `${path}.${index}`, model: typeof tier === 'string' ? tier : tier.model }));
  };
  if (route.baseline) found.push({ path: 'baseline', model: route.baseline });
  for (const [task, target] of Object.entries(route.tasks ?? {})) if (target) tiers(`tasks.${task}`, target);
  if (route.default) tiers('default', route.default);
  if (route.quality) found.push({ path: 'quality.strong', model: route.quality.strong }, { path: 'quality.weak', model: route.quality.weak });
  if (route.cascade) tiers('cascade', route.cascade);
  if (route.judge) found.push({ path: 'judge.model', model: route.judge.model });
  if (route.shadow) found.push({ path: 'shadow.judge', model: route.shadow.judge });
  return found;
}

/**
 * Cross-checks for `validateConfig`: every model a route names exists, and no route shadows a model
 * of the same name (the request would be ambiguous).
 */
export function routeConfigIssues(routes: Record<string, RouteConfig>, models: readonly string[]): string[] {
  const known = new Set(models);
  const issues: string[] = [];
  for (const [name, route] of Object.entries(routes)) {
    if (known.has(name)) issues.push(`routes.${name}: a model is already called '${name}'; rename the route`);
    for (const reference of routeModelReferences(route)) {
      if (!known.has(reference.model)) {
        issues.push(`routes.${name}.${reference.path}: unknown model '${reference.model}' in route '${name}' (configured models: ${models.join(', ') || 'none'})`);
      }
    }
  }
  return issues;
}
