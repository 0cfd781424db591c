import { z } from 'zod';

/** A USD amount as a number or a decimal string ("10", 0.5); turned into exact nano-dollars later. */
export const usdLimitSchema = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d{1,9})?$/, 'a decimal USD amount')], {
  error: (issue) => (issue.input === undefined ? 'required: the limit in USD, such as 10 or "2.50"' : 'a USD amount such as 10 or "2.50"'),
});

/** Budget periods are UTC calendar days and months. */
export const budgetPeriodSchema = z.enum(['day', 'month']);
export type BudgetPeriod = z.infer<typeof budgetPeriodSchema>;

/**
 * `hard`: requests are rejected (429 `budget_exceeded`) before any upstream call when their
 * worst-case cost would pass the limit. `soft`: nothing is rejected; a warn log line and, when
 * `webhook` is set, one POST per period once spend reaches the limit.
 */
export const budgetModeSchema = z.enum(['hard', 'soft']);
export type BudgetMode = z.infer<typeof budgetModeSchema>;

/** The fields every budget shares (also the shape of a virtual key's own budgets). */
export const budgetLimitShape = {
  limit_usd: usdLimitSchema,
  period: budgetPeriodSchema.default('month'),
  mode: budgetModeSchema.default('hard'),
  /** Soft budgets POST JSON here once per period when spend reaches the limit. */
  webhook: z.url({ protocol: /^https?$/ }).optional(),
};

/** A key's own budget, stored with the key. */
export const keyBudgetSchema = z.strictObject(budgetLimitShape);
export type KeyBudget = z.infer<typeof keyBudgetSchema>;

/**
 * Config `budgets:` entries. Key budgets come from the keys themselves (`frugal keys create --budget`).
 *
 * ```yaml
 * budgets:
 *   - { scope: tag, tag: feature=support, limit_usd: 10, period: day, mode: hard }
 *   - { scope: tenant, tenant: acme, limit_usd: 50, period: month, mode: soft, webhook: https://hooks.example/budget }
 *   - { scope: global, limit_usd: 100, period: month }
 * ```
 */
export const budgetConfigSchema = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('global'), ...budgetLimitShape }),
  z.strictObject({ scope: z.literal('tenant'), tenant: z.string().min(1), ...budgetLimitShape }),
  z.strictObject({
    scope: z.literal('tag'),
    tag: z.string().regex(/^[^=,\s]+=[^,]+$/, 'a key=value tag such as feature=support'),
    /** Restricts a tag budget to one tenant; without it the tag's spend is counted across tenants. */
    tenant: z.string().min(1).optional(),
    ...budgetLimitShape,
  }),
]);
export type BudgetConfig = z.infer<typeof budgetConfigSchema>;

export const budgetsConfigSchema = z.array(budgetConfigSchema).default([]);
