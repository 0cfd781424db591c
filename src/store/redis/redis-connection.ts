import { Redis } from 'ioredis';
import { redactUrl } from '../redact-url.ts';

/** Either a Redis URL (the store opens and owns a connection) or a shared ioredis client. */
export type RedisConnectionOptions = { url: string } | { redis: Redis };

/**
 * Opens a connection that fails fast: the first connect error rejects instead of queueing commands
 * forever, so a gateway pointed at a wrong Redis URL says so at startup. Later drops reconnect.
 */
export async function connectRedis(url: string, onError?: (error: Error) => void): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5_000 });
  // The first failure becomes the rejection below; reporting it as an event too would say it twice.
  const duringConnect = () => {};
  redis.on('error', duringConnect);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Cannot connect to Redis at ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
  } finally {
    redis.off('error', duringConnect);
  }
  // Later connection errors (ioredis reconnects by itself) go to the caller's logger, or to ioredis' default print.
  if (onError !== undefined) redis.on('error', onError);
  return redis;
}

export async function resolveRedis(options: RedisConnectionOptions): Promise<{ redis: Redis; owned: boolean }> {
  return 'redis' in options ? { redis: options.redis, owned: false } : { redis: await connectRedis(options.url), owned: true };
}

/** Escapes glob characters so SCAN MATCH treats a key prefix literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => '\\' + character);
}

export { redactUrl };
