/**
 * An upstream call that failed. `retryable` follows openai-node: 408/409/429/5xx and connection
 * errors are retried; `retryAfterMs` comes from `retry-after-ms` / `retry-after`.
 * The message never includes request headers, so keys cannot leak through it.
 */
export class UpstreamError extends Error {
  readonly status: number | undefined;
  readonly kind: 'http' | 'timeout' | 'connection' | 'protocol' | 'aborted';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly body: string | undefined;

  constructor(
    kind: UpstreamError['kind'],
    message: string,
    options: { status?: number; retryAfterMs?: number; body?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.body = options.body;
    this.retryable =
      kind === 'timeout' ||
      kind === 'connection' ||
      (kind === 'http' && options.status !== undefined && isRetryableStatus(options.status));
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const pick = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ms = pick('retry-after-ms');
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const seconds = pick('retry-after');
  if (seconds === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(seconds.trim())) return Math.max(0, Number(seconds) * 1000);
  const date = Date.parse(seconds);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
