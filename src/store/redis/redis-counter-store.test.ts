import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { counterContract } from '../contract/counter-contract.ts';
import { requireService, testRedisUrl } from '../contract/require-service.ts';
import { uniqueRunId } from '../contract/store-fixture.ts';
import { escapeGlob } from './redis-connection.ts';
import { RedisCounterStore } from './redis-counter-store.ts';

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

counterContract(
  'redis',
  () => {
    const prefix = `${runPrefix}${fixtureNumber++}:`;
    return {
      persistent: true,
      open: () => RedisCounterStore.open({ url: testRedisUrl, prefix }),
      // Its own ioredis connection: two replicas of the gateway racing on one Redis.
      openReplica: () => RedisCounterStore.open({ url: testRedisUrl, prefix }),
      advance: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    };
  },
  { skip: !available },
);
