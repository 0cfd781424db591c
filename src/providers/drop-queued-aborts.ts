import type { Dispatcher } from 'undici';

/**
 * An undici interceptor for calls made with `request({ signal })` (the streamed upstream calls). undici
 * keeps a call whose signal fired while it waited in the pool's queue, and when its turn comes it aborts
 * it on the connection it was handed, which destroys that connection: every client that left while its
 * call was queued cost the pool one TCP connection, opened only to be reset, and the calls queued behind
 * it waited for those handshakes (500 clients leaving at once at 128 connections: ~370 connections opened
 * and reset). With this interceptor such a call is refused at its start instead, before anything is
 * written: undici drops it, rejects it with the signal's reason, and gives the connection to the next
 * call. A call already sent is still aborted by its signal as before (on HTTP/1.1 the only way to stop
 * an upstream that is generating is to close the connection). Buffered calls get the same treatment in
 * `dispatchText`.
 */
export const dropQueuedAborts: Dispatcher.DispatcherComposeInterceptor = (dispatch) =>
  function dispatchDroppingQueuedAborts(options, handler) {
    const signal = (options as { signal?: AbortSignal | { aborted?: boolean; reason?: unknown } }).signal;
    if (!signal) return dispatch(options, handler);
    return dispatch(options, {
      onRequestStart(controller, context) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the call was aborted before it started');
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
  };
