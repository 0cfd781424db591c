/** One decoded Server-Sent Event. `event` is absent when the stream sent no `event:` field (OpenAI). */
export interface SseMessage {
  event?: string;
  data: string;
  id?: string;
}

/**
 * Decodes a Server-Sent Events byte or text stream, following the WHATWG rules
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end with CRLF, LF or CR; `data:` lines of one event are joined with "\n"; one space after
 * the colon is dropped; lines starting with ":" are comments (keep-alives); an event is dispatched
 * at a blank line and only if it has data; an unterminated event at end of stream is discarded.
 *
 * Robust to any chunking: UTF-8 sequences and CRLF pairs split across chunks decode the same as
 * whole. The one decoder for every upstream stream (OpenAI-compatible and Anthropic).
 */
export async function* decodeSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder('utf-8');
  const parser = new SseLineParser();
  let pending = '';
  let first = true;
  for await (const chunk of body) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && pending !== '') {
      if (pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
      first = false;
    }
    const consumed = yield* parser.lines(pending, false);
    pending = pending.slice(consumed);
  }
  pending += decoder.decode();
  yield* parser.lines(pending, true);
}

class SseLineParser {
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  /**
   * Parses every complete line in `text`, yielding dispatched events, and returns how many characters
   * were consumed. A trailing CR is held back until the next chunk shows whether an LF follows it.
   */
  *lines(text: string, atEnd: boolean): Generator<SseMessage, number> {
    let start = 0;
    for (;;) {
      const end = nextLineEnd(text, start);
      if (end === -1) break;
      if (text.charCodeAt(end) === 13 && end + 1 === text.length && !atEnd) break;
      const message = this.line(text.slice(start, end));
      if (message) yield message;
      start = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
    }
    return start;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58) return undefined; // ":" comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.id = value;
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const { data, event, id } = this;
    this.data = [];
    this.event = undefined;
    if (data.length === 0) return undefined;
    const message: SseMessage = { data: data.join('\n') };
    if (event !== undefined && event !== '') message.event = event;
    // The last event id persists across events, as in the spec; it lets a caller resume.
    if (id !== undefined) message.id = id;
    return message;
  }
}

function nextLineEnd(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 10 || code === 13) return index;
  }
  return -1;
}
