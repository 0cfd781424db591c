const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Thrown for a time the user wrote that cannot be read; the message says what is accepted. */
export class TimeArgumentError extends Error {
  constructor(text: string) {
    super(`Cannot read the time "${text}": use a duration back from now (90m, 12h, 30d, 2w), a date (2025-01-31), an ISO time, or epoch milliseconds`);
    this.name = 'TimeArgumentError';
  }
}

/**
 * Reads a point in time as users write it on a command line or in a query string:
 * a duration back from `now` (`30d`), a date or ISO time (`2025-01-31`, `2025-01-31T12:00:00Z`),
 * or epoch milliseconds (`1700000000000`). Returns epoch milliseconds.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const trimmed = text.trim();
  const duration = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(trimmed);
  if (duration) return Math.round(now - Number(duration[1]) * UNIT_MS[duration[2].toLowerCase()]);
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const time = Date.parse(trimmed);
    if (Number.isFinite(time)) return time;
  }
  throw new TimeArgumentError(text);
}
