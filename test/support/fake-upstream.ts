import type { FakeHttpServer, RecordedRequest } from './fake-http-server.ts';
import type { ReplyScript, ScriptEntry } from './fake-upstream-script.ts';

/**
 * A running fake provider on 127.0.0.1 (see startFakeOpenAI / startFakeAnthropic).
 * Every model call takes the next scripted entry, or the default one when none is queued.
 */
export interface FakeUpstream {
  /**
   * Base URL for the provider's SDK. OpenAI: `http://127.0.0.1:PORT/v1` (what `new OpenAI({ baseURL })` wants).
   * Anthropic: `http://127.0.0.1:PORT`, without `/v1` (what `new Anthropic({ baseURL })` wants).
   */
  readonly url: string;
  /** `http://127.0.0.1:PORT`, for both. */
  readonly origin: string;
  /** Every request received, in arrival order (live array; cleared by reset()). */
  readonly requests: readonly RecordedRequest[];
  /** Requests whose client went away before the response was complete. */
  readonly abortedCount: number;
  /** TCP connections the server accepted, including ones closed before any request was sent on them. */
  readonly connectionsOpened: number;
  /** Requests to one exact path, e.g. `/v1/chat/completions`. */
  requestsTo(path: string): RecordedRequest[];
  /** Queues replies; each model call (chat, message, embedding, batch line) takes the next one. */
  script(...entries: ScriptEntry[]): void;
  /** Sets the reply used when the queue is empty (a matcher gives per-model defaults). */
  setDefault(entry: ScriptEntry): void;
  /** Queued entries not used yet. */
  readonly pendingReplies: number;
  /** Clears queue, recordings, files and batches; restores the start-up default. */
  reset(): void;
  /** Destroys every connection and stops the server; never hangs. */
  close(): Promise<void>;
}

/** Builds the FakeUpstream face over a started server and its reply script. */
export function createFakeUpstream(
  server: FakeHttpServer,
  script: ReplyScript,
  url: string,
  resetState: () => void,
): FakeUpstream {
  return {
    url,
    origin: server.origin,
    requests: server.requests,
    get abortedCount() {
      return server.abortedCount;
    },
    get connectionsOpened() {
      return server.connectionsOpened;
    },
    get pendingReplies() {
      return script.pending;
    },
    requestsTo: (path) => server.requests.filter((request) => request.path === path),
    script: (...entries) => script.enqueue(entries),
    setDefault: (entry) => script.setDefault(entry),
    reset() {
      script.reset();
      server.clearRecords();
      resetState();
    },
    close: () => server.close(),
  };
}
