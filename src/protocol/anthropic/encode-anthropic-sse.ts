/** One Server-Sent Event of an Anthropic stream: the `event:` name and the JSON `data:` payload. */
export interface AnthropicSseEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Encodes one event in Anthropic's wire form: `event: <name>\ndata: <json>\n\n`. JSON.stringify never
 * emits a raw newline, so the payload always fits on one `data:` line.
 */
export function encodeAnthropicSse(event: AnthropicSseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * The `error` event to send when a stream fails after it started (the HTTP status is already 200),
 * e.g. `anthropicStreamError('overloaded_error', 'Upstream overloaded')`.
 */
export function anthropicStreamError(type: string, message: string): AnthropicSseEvent {
  return { event: 'error', data: { type: 'error', error: { type, message } } };
}
