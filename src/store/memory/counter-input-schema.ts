import { z } from 'zod';
import type { ReservationItem } from '../types.ts';

/**
 * Counter inputs shared by every CounterStore backend. Counters hold exact integers (nano-dollars,
 * tokens, requests): a fractional amount is a caller bug and is refused before anything changes.
 */
const integer = z.number().refine(Number.isSafeInteger, 'must be a safe integer');
const ttl = z.number().positive().transform(Math.ceil);

export const reservationItemsSchema = z.array(
  z.object({ key: z.string().min(1), amount: integer, limit: integer.optional(), ttlMs: ttl }),
) satisfies z.ZodType<ReservationItem[], unknown>;

export const settleItemsSchema = z.array(z.object({ key: z.string().min(1), delta: integer, ttlMs: ttl }));

export const hitSchema = z.object({
  key: z.string().min(1),
  windowMs: ttl,
  limit: integer,
  cost: integer.refine((cost) => cost >= 0, 'cost must not be negative'),
});
