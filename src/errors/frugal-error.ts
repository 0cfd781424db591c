/**
 * Frugal's one error taxonomy. Every failure that reaches a client is a FrugalError with a stable
 * `code`, an HTTP `status` and the OpenAI error `type`; the edge maps it once to the OpenAI envelope
 * (or Anthropic's on /v1/messages). Messages never contain upstream keys or Authorization values.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface FrugalErrorOptions {
  param?: string | null;
  retryable?: boolean;
  cause?: unknown;
  /** Extra fields added to the error object (for example the list of attempts). */
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export class FrugalError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: string, status: number, type: ErrorType, message: string, options: FrugalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FrugalError';
    this.code = code;
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    this.headers = options.headers;
  }

  /** The OpenAI error envelope. */
  toOpenAI(): { error: Record<string, unknown> } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param, ...this.details } };
  }

  /** The Anthropic error envelope. */
  toAnthropic(): { type: 'error'; error: { type: string; message: string } } {
    const anthropicType: Record<number, string> = {
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      529: 'overloaded_error',
    };
    // A client error Anthropic has no type for (405, 415, 402…) is still the request's fault, not the server's.
    const fallback = this.status >= 400 && this.status < 500 ? 'invalid_request_error' : 'api_error';
    return {
      type: 'error',
      error: { type: anthropicType[this.status] ?? fallback, message: `${this.message} (${this.code})` },
    };
  }
}

export function isFrugalError(value: unknown): value is FrugalError {
  return value instanceof FrugalError;
}
