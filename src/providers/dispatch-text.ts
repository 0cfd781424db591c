import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Thrown (as the transport error) when an attempt runs past its deadline. */
export class AttemptTimeoutError extends Error {
  constructor() {
    super('the attempt timed out');
    this.name = 'AttemptTimeoutError';
  }
}

/** The whole answer of a non-streaming upstream call. */
export interface TextAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One buffered HTTP call through undici's dispatch API, for answers that are read whole (chat without
 * streaming, embeddings). Compared with `pool.request`, it builds no body stream and no abort signal of
 * its own: the attempt's deadline (`timeoutMs`, to the last byte of the answer) is a timer and the
 * client's signal gets one listener, both aborting the dispatch directly. Rejects with the transport
 * error (an `AttemptTimeoutError` for the deadline, the signal's reason when the client went away).
 * A call stopped while it waits for a pooled connection is dropped when its turn comes, without being
 * sent and without closing the connection it was given.
 */
export function dispatchText(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<TextAnswer> {
  return new Promise<TextAnswer>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let stopReason: Error | undefined;
    let settled = false;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];

    const settle = (error: Error | undefined, answer?: TextAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onClientAbort);
      if (error) reject(error);
      else resolve(answer!);
    };
    const stop = (reason: Error) => {
      stopReason ??= reason;
      if (controller && !controller.aborted) controller.abort(reason);
      settle(reason);
    };
    const onClientAbort = () => stop(signal.reason instanceof Error ? signal.reason : new Error('client closed the connection'));
    const timer = setTimeout(() => stop(new AttemptTimeoutError()), timeoutMs);
    signal.addEventListener('abort', onClientAbort, { once: true });

    dispatcher.dispatch(options, {
      onRequestStart(started) {
        // Stopped while queued for a connection: throwing here makes undici drop the request before
        // writing it, and keep the connection (aborting would destroy it, so a burst of clients going
        // away would cost the gateway its pooled upstream connections).
        if (stopReason) throw stopReason;
        controller = started;
      },
      onResponseStart(_controller, status, responseHeaders) {
        statusCode = status;
        headers = responseHeaders;
      },
      onResponseData(_controller, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        settle(undefined, { statusCode, headers, text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8') });
      },
      onResponseError(_controller, error) {
        settle(error);
      },
    });
  });
}
