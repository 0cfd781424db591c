import net from 'node:net';

/**
 * Decides whether tests that need an external service (Redis, PostgreSQL) run. When the service
 * is unreachable: locally the tests are skipped with a loud message; in CI (`CI=true`) this throws,
 * so a missing service fails the run instead of passing silently.
 */
export async function requireService(name: string, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const reachable = await canConnect(hostname || '127.0.0.1', Number(port));
  if (reachable) return true;
  const message = `${name} is not reachable at ${hostname}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must provide it.`);
  console.warn(`\n!!!!!!!!!! SKIPPING ${name} store tests: ${message} !!!!!!!!!!\n`);
  return false;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1_000 });
    const finish = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

/** Service URLs for tests, overridable from the environment. */
export const testRedisUrl = process.env.FRUGAL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const testPostgresUrl = process.env.FRUGAL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
