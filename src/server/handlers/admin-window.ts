import { z } from 'zod';
import { errors } from '../../errors/codes.ts';
import { parseTime, TimeArgumentError } from '../../reports/parse-time.ts';

/** A time window and owner filter read from an admin query string. */
export interface AdminWindow {
  since: number;
  until: number;
  tenant?: string;
  keyId?: string;
}

const timeText = (fallback: string | undefined) =>
  z
    .string()
    .optional()
    .transform((text, context) => {
      const value = text ?? fallback;
      if (value === undefined) return undefined;
      try {
        return parseTime(value);
      } catch (error) {
        if (!(error instanceof TimeArgumentError)) throw error;
        context.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    });

/**
 * `?since=7d&until=…&tenant=…&key=…` → a window. `since` defaults to `defaultSince` back from now;
 * times accept the same forms as `frugal report` (30d, a date, an ISO time, epoch ms).
 */
export function parseAdminWindow(url: URL, defaultSince = '7d'): AdminWindow {
  const schema = z.object({
    since: timeText(defaultSince),
    until: timeText(undefined),
    tenant: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  });
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw errors.invalidRequest(`Invalid query: ${issue.path.join('.')}: ${issue.message}`, issue.path.join('.') || null);
  }
  const until = parsed.data.until ?? Date.now();
  const since = parsed.data.since ?? until - 7 * 86_400_000;
  if (since >= until) throw errors.invalidRequest('Invalid query: since must be before until', 'since');
  return { since, until, tenant: parsed.data.tenant, keyId: parsed.data.key };
}
