import pino, { type Logger } from 'pino';

/**
 * Structured logs with pino. Anything that could hold a key is redacted by path, and request logs
 * never include headers or bodies in the first place.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'frugal' },
      redact: {
        paths: ['authorization', 'headers.authorization', '*.authorization', '*.api_key', 'api_key', '*.apiKey', 'x-api-key', '*["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
