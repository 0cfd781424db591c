import type { BudgetPeriod } from './budget-config.ts';

/** One budget period in UTC: `[start, end)` in epoch milliseconds and a label for counter keys. */
export interface PeriodWindow {
  start: number;
  end: number;
  /** `2025-06-01` for a day, `2025-06` for a month. */
  label: string;
}

/** The UTC day or calendar month that contains `now`. */
export function periodWindow(period: BudgetPeriod, now: number): PeriodWindow {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'month') {
    return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1), label: `${year}-${pad(month + 1)}` };
  }
  const day = date.getUTCDate();
  return { start: Date.UTC(year, month, day), end: Date.UTC(year, month, day + 1), label: `${year}-${pad(month + 1)}-${pad(day)}` };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
