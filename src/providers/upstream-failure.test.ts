import { describe, expect, it } from 'vitest';
import { httpFailureFromText } from './upstream-failure.ts';

const KEY = 'sk-live-SECRET-0123456789abcdef';

describe('httpFailureFromText', () => {
  it('keeps no fragment of a key in the error, even one the body cut would split', () => {
    // The key starts 10 characters before the 2,000-character cut of the kept body.
    const body = `${'x'.repeat(1_990)}${KEY}${'y'.repeat(500)}`;
    const failure = httpFailureFromText('upstream', 500, {}, body, [KEY]);
    expect(failure.body).not.toContain(KEY.slice(0, 10));
    expect(failure.body).toContain('[redacted]');
    expect(failure.message).not.toContain(KEY.slice(0, 10));
  });

  it("gives the provider's own message, redacted, and the status and retry-after", () => {
    const failure = httpFailureFromText('upstream', 429, { 'retry-after': '3' }, JSON.stringify({ error: { message: `bad key ${KEY}` } }), [KEY]);
    expect(failure.message).toBe('upstream upstream answered 429: bad key [redacted]');
    expect(failure.status).toBe(429);
    expect(failure.retryAfterMs).toBe(3_000);
  });
});
