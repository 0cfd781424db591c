import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestBody } from './fake-upstream-script.ts';

/** One HTTP request a fake upstream received, as the gateway sent it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  query: Readonly<Record<string, string>>;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  /** Parsed JSON body; for multipart uploads `{ purpose, filename, content }`; `{}` when empty. */
  body: RequestBody;
  rawBody: string;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
  /** True when the client went away before the response was complete. */
  aborted: boolean;
}

/** One request/response pair being served, with the helpers the fake routes need. */
export class Exchange {
  readonly #controller = new AbortController();
  #destroyedByServer = false;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly recorded: RecordedRequest,
  ) {}

  /** Aborts when the connection closes, whoever closed it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get destroyedByServer(): boolean {
    return this.#destroyedByServer;
  }

  connectionClosed(): void {
    this.#controller.abort();
  }

  sendJson(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    this.sendText(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  sendText(status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
    if (this.response.destroyed) return;
    this.response.writeHead(status, { 'content-length': String(Buffer.byteLength(text)), ...headers });
    this.response.end(text);
  }

  /** Waits; resolves false (early) if the client went away meanwhile. */
  async sleep(milliseconds: number): Promise<boolean> {
    if (this.signal.aborted) return false;
    if (milliseconds <= 0) return true;
    try {
      await delay(milliseconds, undefined, { signal: this.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves when the connection closes (client abort or server shutdown). */
  async waitForClose(): Promise<void> {
    if (this.signal.aborted) return;
    await new Promise<void>((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** Kills the connection without a proper end; not counted as a client abort. */
  destroy(): void {
    this.#destroyedByServer = true;
    this.request.socket.destroy();
  }
}

/** A started loopback HTTP server with request recording; the base of both fake upstreams. */
export interface FakeHttpServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  readonly abortedCount: number;
  /** TCP connections accepted so far, with or without a request on them (clearRecords resets it). */
  readonly connectionsOpened: number;
  /** Runs `callback` after `milliseconds` unless the server closes first. */
  schedule(callback: () => void, milliseconds: number): void;
  /** Forgets recorded requests and the aborted count. */
  clearRecords(): void;
  close(): Promise<void>;
}

/** Handles one exchange; the body is already read and recorded. */
export type ExchangeHandler = (exchange: Exchange) => Promise<void>;

/** Starts a `node:http` server on 127.0.0.1, port 0, that records every request and serves it with `handle`. */
export async function startFakeHttpServer(handle: ExchangeHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let abortedCount = 0;
  let connectionsOpened = 0;
  let closing = false;

  const server = createServer((request, response) => {
    void serve(request, response);
  });
  server.on('connection', (socket) => {
    connectionsOpened += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flattenHeaders(request.headers),
      body: {},
      rawBody: '',
      receivedAt: Date.now(),
      aborted: false,
    };
    requests.push(recorded);
    const exchange = new Exchange(request, response, recorded);
    response.on('close', () => {
      exchange.connectionClosed();
      if (!response.writableFinished && !exchange.destroyedByServer && !closing) {
        recorded.aborted = true;
        abortedCount += 1;
      }
    });
    try {
      const raw = await readBody(request);
      recorded.rawBody = raw.toString('utf8');
      recorded.body = parseJsonObject(recorded.rawBody);
      await handle(exchange);
    } catch (error) {
      if (!response.headersSent && !response.destroyed) {
        exchange.sendJson(500, { error: { message: `fake upstream failed: ${String(error)}`, type: 'server_error' } });
      } else {
        exchange.destroy();
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get abortedCount() {
      return abortedCount;
    },
    get connectionsOpened() {
      return connectionsOpened;
    },
    schedule(callback, milliseconds) {
      if (closing) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        callback();
      }, milliseconds);
      timers.add(timer);
    },
    clearRecords() {
      requests.length = 0;
      abortedCount = 0;
      connectionsOpened = 0;
    },
    async close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      // server.close waits for every connection; they were all destroyed, but never hang a test on it.
      await Promise.race([closed, delay(1000)]);
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function parseJsonObject(text: string): RequestBody {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RequestBody) : {};
  } catch {
    return {};
  }
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
