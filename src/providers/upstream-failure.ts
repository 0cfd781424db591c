import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { TimedSignal } from './timed-signal.ts';
import { AttemptTimeoutError } from './dispatch-text.ts';
import { UpstreamError, parseRetryAfter } from './upstream-error.ts';

/** Replaces every provider secret in a text before it can reach a message, a log line or a client. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('[redacted]');
  return result;
}

/**
 * Turns a non-2xx upstream answer into an UpstreamError: the provider's own error message (OpenAI's and
 * Anthropic's envelopes both nest it under `error.message`), `retry-after`, and the body — all redacted.
 */
export async function httpFailure(provider: string, response: Dispatcher.ResponseData, secrets: readonly string[]): Promise<UpstreamError> {
  let text = '';
  try {
    text = await response.body.text();
  } catch {
    // The body only feeds the message.
  }
  return httpFailureFromText(provider, response.statusCode, response.headers, text, secrets);
}

/** {@link httpFailure} for an answer already read whole. */
export function httpFailureFromText(provider: string, statusCode: number, headers: Record<string, string | string[] | undefined>, body: string, secrets: readonly string[]): UpstreamError {
  // Keys out before the cut: a key crossing the cut would otherwise leave a fragment no redaction can match.
  const text = redactSecrets(body.slice(0, 64_000), secrets).slice(0, 2_000);
  let detail = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? text);
  } catch {
    // Not JSON: keep the text.
  }
  return new UpstreamError('http', `upstream ${provider} answered ${statusCode}: ${redactSecrets(detail, secrets).slice(0, 300)}`, {
    status: statusCode,
    retryAfterMs: parseRetryAfter(headers),
    body: text,
  });
}

/** Classifies a transport failure: the client went away, the attempt timed out, or the connection failed. */
export function transportFailure(provider: string, error: unknown, timed: TimedSignal | undefined, clientSignal: AbortSignal): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (clientSignal.aborted) return new UpstreamError('aborted', 'the client went away', { cause: error });
  if (timed?.timedOut() || error instanceof AttemptTimeoutError || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError('timeout', `upstream ${provider} timed out`);
  }
  const code = (error as { code?: string }).code ?? 'unknown';
  return new UpstreamError('connection', `connection to upstream ${provider} failed (${code})`, { cause: error });
}

/**
 * A plain request to a provider's side API (batch files and jobs) through `fetch`: the body as text,
 * or an UpstreamError — connection failures classified, HTTP errors with the provider's message
 * redacted of its secrets.
 */
export async function fetchUpstreamText(
  provider: string,
  fetchImplementation: typeof fetch,
  url: string,
  init: RequestInit,
  secrets: readonly string[],
): Promise<string> {
  let response: Response;
  try {
    response = await fetchImplementation(url, init);
  } catch (error) {
    throw new UpstreamError('connection', `connection to upstream ${provider} failed (${(error as { code?: string }).code ?? 'unknown'})`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new UpstreamError('http', `upstream ${provider} batch API answered ${response.status}: ${redactSecrets(text, secrets).slice(0, 300)}`, { status: response.status });
  }
  return text;
}
