import type { IncomingMessage, ServerResponse } from 'node:http';

/** A signal that aborts when the client goes away before the answer is complete. */
export function clientAbortSignal(request: IncomingMessage, response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new Error('client closed the connection'));
  };
  response.once('close', onClose);
  request.once('aborted', onClose);
  return controller.signal;
}
