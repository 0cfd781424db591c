import { expect, it } from 'vitest';
import { keyValueContract } from '../contract/key-value-contract.ts';
import { MemoryKeyValueStore } from './memory-key-value-store.ts';

keyValueContract('memory', () => {
  let now = 1_000_000;
  const clock = () => now;
  const store = new MemoryKeyValueStore({ now: clock });
  return {
    persistent: false,
    open: async () => store,
    openBounded: async (limits) => new MemoryKeyValueStore({ ...limits, now: clock }),
    advance: async (milliseconds) => {
      now += milliseconds;
    },
  };
});

it('evicts exactly the least recently used entry', async () => {
  const store = new MemoryKeyValueStore({ maxEntries: 2 });
  await store.set('a', '1');
  await store.set('b', '2');
  await store.get('a');
  await store.set('c', '3');
  expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual(['1', undefined, '3']);
  expect(store.size).toBe(2);
});
