import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSse, type SseMessage } from './sse-decode.ts';

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
async function decodeAll(chunks: Array<Uint8Array | string>): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of decodeSse(from(chunks))) messages.push(message);
  return messages;
}
const bytes = (text: string) => new TextEncoder().encode(text);

/** Splits `data` at the given cut points (any positions, even inside a UTF-8 sequence or a CRLF). */
function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    pieces.push(data.subarray(start, point));
    start = point;
  }
  return pieces;
}

describe('decodeSse', () => {
  it('decodes Anthropic events with names, OpenAI events without, comments and [DONE]', async () => {
    const stream = [
      'event: message_start\ndata: {"type":"message_start"}\n\n',
      ': keep-alive\n\n',
      'data: {"choices":[]}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    expect(await decodeAll([stream])).toEqual([
      { event: 'message_start', data: '{"type":"message_start"}' },
      { data: '{"choices":[]}' },
      { data: '[DONE]' },
    ]);
  });

  it('accepts CRLF, CR and LF line ends and joins multi-line data with LF', async () => {
    expect(await decodeAll(['data: a\r\ndata: b\r\n\r\nevent: x\rdata:c\r\revent:y\ndata:  d\n\n'])).toEqual([
      { data: 'a\nb' },
      { event: 'x', data: 'c' },
      { event: 'y', data: ' d' },
    ]);
  });

  it('keeps the last event id, strips a leading BOM and discards an unterminated final event', async () => {
    expect(await decodeAll(['\uFEFFid: 7\ndata: one\n\ndata: two\n\ndata: cut off'])).toEqual([
      { data: 'one', id: '7' },
      { data: 'two', id: '7' },
    ]);
  });

  it('does not dispatch events that carry no data', async () => {
    expect(await decodeAll(['event: ping\n\n\n\ndata: x\n\n'])).toEqual([{ data: 'x' }]);
  });

  it('decodes the same events however the bytes are split (UTF-8 and CRLF across chunks)', async () => {
    const field = fc.string({ unit: 'grapheme', maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, ''));
    const eventArbitrary = fc.record({ event: fc.option(field.filter((name) => name !== ''), { nil: undefined }), lines: fc.array(field, { minLength: 1, maxLength: 3 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArbitrary, { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, newline, cuts) => {
          const text = events
            .map(({ event, lines }) => (event !== undefined ? `event: ${event}${newline}` : '') + lines.map((line) => `data: ${line}${newline}`).join('') + newline)
            .join('');
          const whole = await decodeAll([bytes(text)]);
          expect(whole).toEqual(
            events.map(({ event, lines }) => (event !== undefined ? { event, data: lines.join('\n') } : { data: lines.join('\n') })),
          );
          expect(await decodeAll(splitAt(bytes(text), cuts))).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes string chunks split anywhere the same as one string', async () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n';
    const expected = await decodeAll([text]);
    for (let cut = 0; cut <= text.length; cut++) expect(await decodeAll([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
  });
});
