import { randomUUID } from 'node:crypto';

/**
 * Ids of Anthropic-shaped answers translated from OpenAI-shaped upstreams. Anthropic's Messages API
 * gives messages `msg_…` ids and tool calls `toolu_…` ids (letters, digits, `_` and `-` only, which
 * Anthropic checks when a conversation comes back to it). Translated tool ids carry the OpenAI id
 * inside them, so the next request's `tool_use` and `tool_result` blocks map back to the exact
 * `tool_call_id` the upstream issued — with no state kept between requests.
 */

/** A translated tool id whose OpenAI id is written as it is (it only holds safe characters). */
const PLAIN = 'toolu_oai_';
/** A translated tool id whose OpenAI id is base64url-encoded (it held other characters). */
const ENCODED = 'toolu_oai64_';
const SAFE = /^[A-Za-z0-9_-]+$/;

/** The `msg_` id of a message translated from an OpenAI-shaped answer whose id was `upstreamId`. */
export function anthropicMessageId(upstreamId: string | undefined): string {
  if (!upstreamId) return `msg_${randomUUID().replaceAll('-', '')}`;
  return upstreamId.startsWith('msg_') ? upstreamId : `msg_${upstreamId}`;
}

/**
 * The `toolu_` id of a tool_use block translated from an OpenAI tool call id. An id that already
 * looks like Anthropic's (an answer that came from an Anthropic upstream) is kept.
 */
export function anthropicToolUseId(openaiId: string | undefined): string {
  if (!openaiId) return `toolu_${randomUUID().replaceAll('-', '')}`;
  if (/^toolu_[A-Za-z0-9_-]+$/.test(openaiId) && !openaiId.startsWith('toolu_oai')) return openaiId;
  return SAFE.test(openaiId) ? `${PLAIN}${openaiId}` : `${ENCODED}${Buffer.from(openaiId, 'utf8').toString('base64url')}`;
}

/**
 * The OpenAI tool_call_id for a `tool_use` id or a `tool_result`'s `tool_use_id` sent by an Anthropic
 * client: the inverse of {@link anthropicToolUseId}; any other id (Anthropic's own, or one the client
 * made up) is used as it is.
 */
export function openaiToolCallId(anthropicId: string): string {
  if (anthropicId.startsWith(ENCODED)) {
    const encoded = anthropicId.slice(ENCODED.length);
    // Not something this module wrote (not canonical base64url): keep it as the client sent it.
    const decoded = Buffer.from(encoded, 'base64url');
    return decoded.toString('base64url') === encoded ? decoded.toString('utf8') : anthropicId;
  }
  if (anthropicId.startsWith(PLAIN)) return anthropicId.slice(PLAIN.length);
  return anthropicId;
}
