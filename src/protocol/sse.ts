/** One server-sent event. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Decodes a byte stream of server-sent events, robust to arbitrary chunk boundaries and CRLF.
 * Comment lines (":") and `id`/`retry` fields are ignored.
 */
export async function* decodeSseStream(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let eventName: string | undefined;
  let data: string[] = [];
  for await (const piece of body) {
    buffer += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) !== -1) {
      const line = buffer.slice(0, newline);
      const width = buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? 2 : 1;
      // A lone trailing \r may be the first half of \r\n: wait for more input.
      if (buffer[newline] === '\r' && newline + 1 === buffer.length) break;
      buffer = buffer.slice(newline + width);
      if (line === '') {
        if (data.length > 0) yield { event: eventName, data: data.join('\n') };
        eventName = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') eventName = value;
    }
  }
  buffer += decoder.decode();
  if (buffer.length > 0 && buffer !== '\r') {
    const line = buffer.replace(/\r$/, '');
    if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length > 0) yield { event: eventName, data: data.join('\n') };
}

/** Encodes one SSE data frame. */
export function encodeSseData(data: string, event?: string): string {
  return (event ? `event: ${event}\n` : '') + `data: ${data}\n\n`;
}
