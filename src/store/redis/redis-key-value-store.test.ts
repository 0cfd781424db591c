import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { keyValueContract } from '../contract/key-value-contract.ts';
import { requireService, testRedisUrl } from '../contract/require-service.ts';
import { uniqueRunId } from '../contract/store-fixture.ts';
import { RedisKeyValueStore } from './redis-key-value-store.ts';
import { escapeGlob } from './redis-connection.ts';

const available = await requireService('Redis', testRedisUrl);
const runPrefix = `frugal-test:${uniqueRunId()}:`;
let fixtureNumber = 0;

afterAll(async () => {
  if (!available) return;
  const redis = new Redis(testRedisUrl);
  const leftovers = await redis.keys(escapeGlob(runPrefix) + '*');
  if (leftovers.length > 0) await redis.del(...leftovers);
  await redis.quit();
});

keyValueContract(
  'redis',
  () => {
    const prefix = `${runPrefix}${fixtureNumber++}:`;
    return {
      persistent: true,
      open: () => RedisKeyValueStore.open({ url: testRedisUrl, prefix }),
      // Redis has its own clock: real short TTLs and a real wait.
      advance: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
      destroy: async () => {
        const store = await RedisKeyValueStore.open({ url: testRedisUrl, prefix });
        await store.deletePrefix('');
        await store.close();
      },
    };
  },
  { skip: !available },
);
