import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errors } from '../errors/codes.ts';
import { FrugalError } from '../errors/frugal-error.ts';

/** Reads a request body up to `limit` bytes; a longer body is refused with 413 without buffering it. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    return Promise.reject(errors.bodyTooLarge(limit));
  }
  // Plain 'data'/'end' listeners: an async iterator per request costs a stream wrapper and a promise per chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.resume();
        reject(errors.bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      // Closed before 'end': the client went away mid-body.
      cleanup();
      reject(Object.assign(new Error('the client closed the connection before the body was complete'), { code: 'ECONNRESET' }));
    };
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/**
 * Deepest nesting of objects and arrays a request body may have. JSON.parse takes a body 10,000 levels deep,
 * but the recursive steps after it (schema checks, canonical hashing, translation) overflow the stack, which
 * answered 500; real requests (tool and response_format schemas included) stay far below this.
 */
export const MAX_JSON_DEPTH = 256;

/** The deepest nesting of `{`/`[` outside strings, in one pass over the bytes (stops counting past the limit). */
function nestingDepth(body: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === 0x5c) index++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_DEPTH) return deepest;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return deepest;
}

export async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const contentType = request.headers['content-type'];
  if (contentType && !/json|text\/plain/i.test(contentType)) throw errors.unsupportedMediaType();
  const body = await readBody(request, limit);
  if (body.length === 0) throw errors.invalidJson('the body is empty');
  if (nestingDepth(body) > MAX_JSON_DEPTH) throw errors.invalidRequest(`The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw errors.invalidJson((error as Error).message);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

/** Sends an error in the OpenAI envelope, or Anthropic's on /v1/messages. */
export function sendError(
  response: ServerResponse,
  error: unknown,
  protocol: 'openai' | 'anthropic',
  headers: Record<string, string> = {},
): void {
  const frugalError = error instanceof FrugalError ? error : errors.internal(error);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = protocol === 'anthropic' ? frugalError.toAnthropic() : frugalError.toOpenAI();
  sendJson(response, frugalError.status, body, { ...headers, ...frugalError.headers });
}

/**
 * How an API handler ends a request that threw: before the headers, the error in the endpoint's envelope (a
 * failure that is not a FrugalError is also logged, as a fault of ours); after them (a stream already under
 * way) the connection is cut, so the client sees an incomplete answer rather than a spliced one.
 */
export function failRequest(logger: Logger, response: ServerResponse, error: unknown, requestId: string, protocol: 'openai' | 'anthropic'): void {
  if (!(error instanceof FrugalError)) logger.error({ err: error, requestId }, 'request failed');
  if (!response.headersSent) {
    sendError(response, error, protocol, { 'x-frugal-request-id': requestId });
    return;
  }
  response.destroy();
}

/** Writes to a response, waiting for 'drain' when the client reads slower than we produce. */
export function writeWithBackpressure(response: ServerResponse, data: string): Promise<void> | undefined {
  if (response.write(data)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
