import { counterContract } from '../contract/counter-contract.ts';
import { MemoryCounterStore } from './memory-counter-store.ts';

counterContract('memory', () => {
  let now = 1_000_000;
  const store = new MemoryCounterStore({ now: () => now });
  return {
    persistent: false,
    open: async () => store,
    advance: async (milliseconds) => {
      now += milliseconds;
    },
  };
});
